// RFC 6962 get-entries replies -> LogEntry values (ct/log_entry.h).
//
// A reply is {"entries":[{"leaf_input":"<b64 MerkleTreeLeaf>","extra_data":"<b64>"}, ...]}.
// leaf_input (RFC 6962 section 3.4):  version(1)=0, leaf_type(1)=0, timestamp(8), entry_type(2),
//   x509_entry:    ASN.1Cert opaque<1..2^24-1>
//   precert_entry: issuer_key_hash[32], TBSCertificate opaque<1..2^24-1>
//   extensions opaque<0..2^16-1>, and nothing after it.
// extra_data: x509_entry: certificate_chain ASN.1Cert<0..2^24-1>;
//   precert_entry: PrecertChainEntry { ASN.1Cert pre_certificate; ASN.1Cert precertificate_chain<..> }.
// The record describes the leaf certificate (x509) or the pre_certificate (precert).
//
// Never aborts on log bytes: a reply that is not JSON or has no "entries" array is kCorrupt (the caller
// retries it); an entry that cannot be decoded comes back with LogEntry.error saying what was wrong and
// keeps what was readable (leaf hash whenever leaf_input is valid base64). Entries beyond max_entries
// (more than asked) are ignored.
// Thread safety: a GetEntriesDecoder is not thread-safe (it reuses one parser); use one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ct/log_entry.h"

namespace ctdl {

// Decodes one entry given its two base64 fields (as they appear in JSON, already unescaped).
// hash_chain: fill LogEntry.chain_sha256 (costs a SHA-256 per chain certificate; only the `chain`
// record field needs it). The chain's structure is checked either way.
LogEntry DecodeRfc6962Entry(std::string_view leaf_input_b64, std::string_view extra_data_b64,
                            uint64_t index, bool hash_chain = true);
// The same into *entry, which must be a default or Reset() LogEntry (its buffers are reused).
void DecodeRfc6962EntryInto(std::string_view leaf_input_b64, std::string_view extra_data_b64,
                            uint64_t index, bool hash_chain, LogEntry* entry);

// Decodes binary leaf_input / extra_data (already base64-decoded) into *entry (index preset).
// Sets entry->error on any problem; never fails otherwise.
void DecodeRfc6962Leaf(std::string_view leaf_input, std::string_view extra_data, LogEntry* entry,
                       bool hash_chain = true);

class GetEntriesDecoder {
 public:
  explicit GetEntriesDecoder(bool hash_chain = true);
  ~GetEntriesDecoder();
  // Appends up to max_entries decoded entries to *out, numbered from first_index. *surplus (optional)
  // gets the number of entries beyond max_entries that were ignored. kCorrupt when the reply as a
  // whole cannot be trusted (not JSON, no "entries" array); *out is then unchanged. Values outside the
  // entries' leaf_input / extra_data are skipped, not fully validated (simdjson On-Demand, .cc).
  // padding: bytes after json's end that may be read (a std::string's spare capacity); with at least
  // kJsonPadding the JSON is parsed in place, else it is first copied into a padded buffer.
  Status Decode(std::string_view json, uint64_t first_index, uint64_t max_entries,
                std::vector<LogEntry>* out, uint64_t* surplus = nullptr, size_t padding = 0);
  // The same into slots (ct/log_entry.h: the LogEntry objects beyond out->size() are reused).
  Status Decode(std::string_view json, uint64_t first_index, uint64_t max_entries, EntrySlots* out,
                uint64_t* surplus = nullptr, size_t padding = 0);
  static constexpr size_t kJsonPadding = 64;  // simdjson's SIMDJSON_PADDING (checked in the .cc)

 private:
  Status DecodeEntries(std::string_view json, uint64_t first_index, uint64_t max_entries,
                       EntrySlots* out, uint64_t* surplus, size_t padding);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctdl
