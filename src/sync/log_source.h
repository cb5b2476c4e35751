// LogSource: where a log's entries come from, the one part of the download pipeline (log_download.h)
// that differs between RFC 6962 logs and static-ct-api (tiled) logs. The scheduler, fetch stage,
// decode pool, committer, writer and progress are shared; a source only
//   - reads the tree head: its URL, parsing, the signature check (get-sth JSON | checkpoint signed
//     note, whose origin it knows) and fetching it through a Retrier; the one place per API,
//     used by the download, --follow, distributed workers, init and update-tree-size,
//   - shapes requests (get-entries ranges with cap discovery | one data tile per request, 256-aligned),
//   - builds the HTTP request for a range,
//   - decodes a 200 reply into LogEntry values (get-entries: a prefix may come back, the rest is asked
//     again; a tile: all of it or kCorrupt, which the pipeline retries and then reports),
//   - says whether a 404 has a fallback (a partial tile the log deleted: fetch the full tile instead).
//
// Thread safety: the planning methods (Probing, RequestSize, RequestEnd, Observe) are called under the
// scheduler's mutex (sync/scheduler.h) and need no locking of their own. TreeHeadUrl, ParseTreeHead, MakeRequest and
// Has404Fallback are const and thread-safe. SetTreeSize is called once, before any request is made.
// Each decoder thread owns one EntryDecoder.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ct/log_entry.h"
#include "ct/tree_head.h"
#include "ct/signature.h"
#include "net/http_client.h"
#include "net/retrier.h"
#include "store/state_store.h"

namespace ctdl {

// One request for entries [start, end) of a log. full_tile: a partial tile answered 404, so fetch the
// full tile and take the same entries from it (tiled sources only).
struct SourceRequest {
  uint64_t start = 0;
  uint64_t end = 0;
  bool full_tile = false;
};

class EntryDecoder {
 public:
  virtual ~EntryDecoder() = default;
  // Appends the entries of a 200 reply to request `r` to *out, numbered from r.start: at most
  // r.end - r.start of them (fewer is a partial success). kCorrupt when the reply as a whole cannot be
  // used (bad JSON; a short, long, truncated or corrupt tile); *out is then unchanged.
  virtual Status Decode(std::string_view body, const SourceRequest& r, std::vector<LogEntry>* out) = 0;
  // The same for a body followed by `padding` readable bytes (its std::string's spare capacity), which
  // a decoder may read past the end instead of copying the body (get-entries: simdjson in place).
  virtual Status DecodePadded(std::string_view body, size_t padding, const SourceRequest& r,
                              std::vector<LogEntry>* out) {
    (void)padding;
    return Decode(body, r, out);
  }
  // The same into slots (ct/log_entry.h), reusing the LogEntry objects beyond out->size(): the
  // decoder pool keeps one vector per thread for all its replies. On error out->size() is unchanged.
  virtual Status DecodeInto(std::string_view body, size_t padding, const SourceRequest& r, EntrySlots* out) {
    std::vector<LogEntry> fresh;
    Status s = DecodePadded(body, padding, r, &fresh);
    for (LogEntry& e : fresh) out->Add() = std::move(e);
    return s;
  }
};

class LogSource {
 public:
  virtual ~LogSource() = default;
  virtual const char* kind() const = 0;  // "rfc6962" | "tiled" (LogState::log_type)

  // Tree head: <url>ct/v1/get-sth or <url>checkpoint. ParseTreeHead fills tree_size and root_hash
  // (get-sth: also timestamp and signature; a checkpoint leaves them empty: the note is the proof).
  virtual std::string TreeHeadUrl() const = 0;
  virtual Result<SignedTreeHead> ParseTreeHead(std::string_view body) const = 0;
  // ParseTreeHead, then the signature with the log's key (a checkpoint: also its origin, and the
  // timestamp comes from its signature). kVerifyFailed names the log, the size and the root.
  virtual Result<SignedTreeHead> VerifyTreeHead(const LogVerifier& verifier, std::string_view body) const = 0;
  // The tree head fetched through `retrier` (a 200 whose body does not parse is retried) and parsed.
  // `request` gives the timeouts and headers; its URL is TreeHeadUrl(). head is set when outcome.ok().
  struct FetchedHead {
    Retrier::Outcome outcome;
    std::optional<SignedTreeHead> head;
  };
  FetchedHead FetchTreeHead(Retrier& retrier, HttpRequest request, const Retrier::Hooks& hooks = {}) const;
  // The tree size the download works against (tiled: decides which tile is partial and its width).
  virtual void SetTreeSize(uint64_t tree_size) = 0;

  // Planning (under the pipeline's lock). While Probing(), one request at a time is in flight.
  virtual bool Probing() const = 0;
  virtual uint64_t RequestSize() const = 0;  // typical entries per request (sizes the reorder window)
  // End (exclusive, <= limit, > start) of the next request from start.
  virtual uint64_t RequestEnd(uint64_t start, uint64_t limit) const = 0;
  // A reply to [start, start + asked) brought `got` entries.
  virtual void Observe(uint64_t start, uint64_t asked, uint64_t got) = 0;

  virtual HttpRequest MakeRequest(const SourceRequest& r) const = 0;
  // True when a 404 to r should be retried at once as r with full_tile set.
  virtual bool Has404Fallback(const SourceRequest& r) const = 0;
  virtual std::unique_ptr<EntryDecoder> NewDecoder() const = 0;
};

// url: the log's normalized URL (ends with '/'); for a tiled log its monitoring prefix.
// hash_chain: decoders fill LogEntry.chain_sha256 for RFC 6962 entries (tiles carry it for free);
// only the `chain` record field needs it.
std::unique_ptr<LogSource> NewRfc6962Source(std::string url, bool hash_chain = true);
// origin: what the checkpoint's first line must say (sync/verify_step.h CheckpointOrigin).
std::unique_ptr<LogSource> NewTiledSource(std::string url, std::string origin = "");
// By LogState::log_type: "tiled" -> tiled, anything else -> RFC 6962.
std::unique_ptr<LogSource> NewLogSource(std::string_view log_type, std::string url,
                                        bool hash_chain = true);
// The source of a registered log (its type, URL and, for a checkpoint, origin).
std::unique_ptr<LogSource> NewLogSource(const LogState& log, bool hash_chain = true);

}  // namespace ctdl
