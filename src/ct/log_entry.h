// LogEntry: one decoded log entry, the same shape for RFC 6962 and static-ct-api (tiled) logs.
// Decoders (ct/rfc6962_entries.h, ct/tile_leaf.h) never abort on bad bytes: an entry that cannot be
// decoded has `error` set and keeps whatever was readable, so the pipeline writes an error record.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"

namespace ctdl {

enum class EntryType : uint8_t { kX509 = 0, kPrecert = 1 };
inline const char* EntryTypeName(EntryType t) { return t == EntryType::kX509 ? "x509" : "precert"; }

struct LogEntry {
  uint64_t index = 0;
  uint64_t timestamp = 0;  // milliseconds since the epoch, from the log
  EntryType type = EntryType::kX509;
  // DER the record describes: the leaf certificate (x509) or the pre_certificate (precert; from
  // extra_data in RFC 6962, from the pre_certificate field in tiles). When the entry is undecodable
  // this holds the raw bytes we got (so the record can still carry a fingerprint of them).
  std::string cert;
  // precert only: the TBSCertificate the log signed (RFC 6962 leaf_input / the tile's tbs_certificate);
  // empty for x509 entries.
  std::string signed_tbs;
  std::vector<Hash256> chain_sha256;  // SHA-256 of each chain certificate, leaf-side first
  Hash256 leaf_hash{};                // RFC 6962 leaf hash: SHA-256(0x00 || MerkleTreeLeaf)
  bool has_leaf_hash = false;
  std::string error;                  // non-empty: why the entry could not be decoded

  // Back to a default LogEntry, keeping the buffers of cert, signed_tbs, chain_sha256 and error
  // (a member added later is reset too, it just keeps no buffer).
  void Reset() {
    std::string c = std::move(cert), t = std::move(signed_tbs), e = std::move(error);
    std::vector<Hash256> ch = std::move(chain_sha256);
    *this = LogEntry();
    c.clear();
    t.clear();
    e.clear();
    ch.clear();
    cert = std::move(c);
    signed_tbs = std::move(t);
    error = std::move(e);
    chain_sha256 = std::move(ch);
  }
};

// Where a decoder puts entries: into *v from position `used` on, reusing (Reset) the LogEntry objects
// already in *v beyond it instead of making new ones, so their buffers (a certificate and a TBS of
// ~1 KB each, which glibc cannot keep in its per-thread cache) are allocated once per decoder thread,
// not once per entry. Entries [0, size()) are the decoded ones; what lies beyond is spare.
// Add() may grow *v: references from earlier Add() calls do not survive it.
//
// With a window (SetWindow), the slots hand their entries on while the decoder runs: when `window`
// entries are filled and another is added, `flush` gets them and their objects are reused from the
// start of *v, so the entries of a whole reply never sit in memory together and each is still in
// cache when it is used (the decode pool makes its records there: sync/decode_pool.cc). Flush() hands
// on the rest. size() counts every entry added; entries already handed on cannot be taken back by
// Truncate (a decoder's error), so a caller with a window drops what it was given when the decoder
// fails.
class EntrySlots {
 public:
  using FlushFn = void (*)(void* arg, const LogEntry* entries, size_t n);
  EntrySlots(std::vector<LogEntry>* v, size_t used) : v_(v), used_(used) {}
  void SetWindow(size_t window, FlushFn flush, void* arg) {
    window_ = window;
    flush_ = flush;
    flush_arg_ = arg;
  }
  LogEntry& Add() {
    if (flush_ && used_ >= window_) Flush();
    if (used_ == v_->size()) v_->emplace_back();
    else (*v_)[used_].Reset();
    return (*v_)[used_++];
  }
  void Flush() {  // hands entries [flushed, size()) to the window's flush
    if (flush_ && used_) flush_(flush_arg_, v_->data(), used_);
    flushed_ += used_;
    used_ = 0;
  }
  LogEntry& back() { return (*v_)[used_ - 1]; }
  size_t size() const { return flushed_ + used_; }
  void Reserve(size_t n) {
    if (flush_) n = std::min(n, window_);
    if (v_->capacity() < used_ + n) v_->reserve(used_ + n);
  }
  void Truncate(size_t n) {  // drops entries [n, size()) not yet handed on (they become spare)
    if (n < flushed_) n = flushed_;
    if (n - flushed_ < used_) used_ = n - flushed_;
  }

 private:
  std::vector<LogEntry>* v_;
  size_t used_;
  size_t flushed_ = 0;
  size_t window_ = 0;
  FlushFn flush_ = nullptr;
  void* flush_arg_ = nullptr;
};

}  // namespace ctdl
