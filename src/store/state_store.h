// StateStore: where ctdl keeps its place, one record per log. Backends: sqlite (default), dynamodb,
// memory (tests). Every backend passes the same contract suite (store/state_store_contract.h).
// Thread safety: implementations are safe to call from several threads.
// Errors: kNotFound (unknown url), kConflict (compare-and-set lost, lease held or lost), kIo/kUnavailable
// (backend trouble), kCorrupt (stored data unreadable), kInvalidArgument (bad path/table name).
//
// Leases (doc/state.md, "Ownership"): a process owns a key (a log's url; later also chunk keys such as
// "<url>#chunk/<first>") while it writes under it. The lease counter is a fencing token: it goes up by
// one on every acquisition and never goes down, and every write a holder makes (RecordPendingWrite,
// Advance) is conditional on the stored owner and counter still being its own. Expiry is wall-clock
// milliseconds chosen by the caller (now_ms + ttl_ms); a holder renews well before it.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/chunk.h"

namespace ctdl {

// Every member has an initializer, so LogState{.url = u} compiles without GCC 12's
// -Wmissing-field-initializers (CI builds with -Werror).
struct LogState {
  // Key. RFC 6962: the log's `url`; tiled: its `monitoring_url`. Always ends with '/'.
  std::string url{};
  std::string description{};
  std::string log_type = "rfc6962";  // "rfc6962" | "tiled"  (DynamoDB attribute ct_log_type)
  std::string submission_url{};      // tiled logs only
  std::string operator_name{};
  std::string log_id{};  // base64, as in the log list
  std::string key{};     // base64 DER SubjectPublicKeyInfo, as in the log list
  int64_t mmd = 0;
  std::string list_state{};     // usable | qualified | readonly | retired | pending | ""
  uint64_t tree_size = 0;       // largest signed tree size seen
  std::string sth{};            // that signed tree head: get-sth JSON or checkpoint text
  uint64_t position = 0;        // next index to download; [0, position) is durable in the archive
  uint64_t verified_size = 0;   // largest size whose Merkle root matched a signed head (0: none)
  std::string compact_range{};  // Merkle compact range of [0, position), format in doc/state.md
  // > 0: the entries [0, unverified_prefix) were taken over from another tool's position (the seed's
  // table) and never hashed by ctdl; everything after it is verified (doc/verification.md section 4).
  uint64_t unverified_prefix = 0;
  int64_t updated_at = 0;            // unix seconds of the last change (any write)
  // Unix seconds of the last Advance (the last commit of downloaded entries); 0 = never. Only
  // Advance sets it (not UpdateTreeHead or Register); Register with reset zeroes it with the position.
  int64_t advanced_at = 0;
  // Write-ahead record of the one segment Put in progress: "<archive key> <sha256 hex of its bytes>",
  // set before the Put, cleared by the Advance that commits it. "" = none. Startup may delete only
  // this object, and only when its bytes still hash to the recorded digest (doc/state.md).
  std::string pending_write{};
};

// Who owns a key, until when. owner "" = free.
struct Lease {
  std::string key;
  std::string owner;       // e.g. "host:pid:random" (sync/log_owner.h)
  uint64_t counter = 0;    // fencing token: +1 on every acquisition, never down; 0 = never taken
  int64_t expires_ms = 0;  // unix milliseconds; at or before `now` the lease is free to take
  bool Free(int64_t now_ms) const { return owner.empty() || expires_ms <= now_ms; }
};

// What ctdl learnt about one host's rate limit (sync/rate_limiter.h, doc/rate-limits.md), so the next
// run, or another log on the same host, starts at that rate instead of learning it from 429s again.
struct HostRate {
  std::string host;           // lower-case host[:port] of the log URLs, e.g. "ct.example.com"
  double rps = 0;             // the host's rate limit, requests/s (> 0)
  double burst = 0;           // its bucket size, requests (0: unknown)
  bool retry_after = true;    // its 429s carried Retry-After
  std::string operator_name;  // operator of the log that learnt it ("" unknown)
  int64_t updated_at = 0;     // unix seconds; set by PutHostRate
};

// The check every backend's PutHostRate makes.
inline Status CheckHostRate(const HostRate& r) {
  if (r.host.empty()) return InvalidArgument("a host rate needs a host");
  if (!std::isfinite(r.rps) || r.rps <= 0 || !std::isfinite(r.burst) || r.burst < 0)
    return InvalidArgument("host rate of " + r.host + " is not a positive number");
  return Status::Ok();
}

// What a download commits after a segment is durable.
struct Progress {
  uint64_t position = 0;
  uint64_t verified_size = 0;
  std::string compact_range;
  uint64_t unverified_prefix = 0;  // see LogState
  // When lease_owner is set, Advance also requires the lease on the log's url to still be
  // (lease_owner, lease_counter); otherwise kConflict and nothing changes. Advance always clears
  // pending_write.
  std::string lease_owner{};
  uint64_t lease_counter = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // All logs, sorted by url.
  virtual Result<std::vector<LogState>> List() = 0;
  // One log, or nullopt when it is not registered.
  virtual Result<std::optional<LogState>> Get(const std::string& url) = 0;
  // Registers new logs and refreshes metadata (description, type, ids, key, mmd, list_state,
  // tree_size/sth when larger) of known ones, all in one transaction. Download progress (position,
  // verified_size, compact_range, unverified_prefix) is kept, unless reset is true, which zeroes it.
  virtual Status Register(const std::vector<LogState>& logs, bool reset) = 0;
  // Records a signed tree head. The caller has checked it (signature, consistency); the store only
  // refuses to go backwards: a smaller tree_size than stored is ignored (returns ok).
  virtual Status UpdateTreeHead(const std::string& url, uint64_t tree_size, const std::string& sth) = 0;
  // Compare-and-set: stores `progress` (and advanced_at = now) only if the stored position equals
  // expected_position; otherwise returns kConflict and changes nothing. kNotFound for an unknown url.
  virtual Status Advance(const std::string& url, uint64_t expected_position,
                         const Progress& progress) = 0;

  // ---- chunks of distributed downloads (store/chunk.h, doc/distributed.md) ----
  // The chunk items of a log that were ever written, sorted by index. A chunk without an item is
  // free, untouched, with lease counter 0.
  virtual Result<std::vector<Chunk>> ListChunks(const std::string& url) = 0;
  // Compare-and-set on the lease counter: stores `chunk` only if the stored item's counter equals
  // expected_counter (expected_counter 0 also matches a missing item, which is then created), and
  // stores it with counter expected_counter + 1 (whatever chunk.counter says). kConflict otherwise
  // (someone else wrote the item); kNotFound for a missing item and expected_counter > 0.
  virtual Status PutChunk(const Chunk& chunk, uint64_t expected_counter) = 0;

  // ---- Learnt host rate limits (one small record per host; doc/state.md) ----
  // The record of `host`, or nullopt.
  virtual Result<std::optional<HostRate>> GetHostRate(const std::string& host) = 0;
  // Every host's record, sorted by host.
  virtual Result<std::vector<HostRate>> ListHostRates() = 0;
  // Creates or replaces the record of rate.host (updated_at = now). kInvalidArgument for an empty
  // host or a rate that is not a positive finite number.
  virtual Status PutHostRate(const HostRate& rate) = 0;
  // The lease on `key` (owner "" and counter 0 when it was never taken).
  virtual Result<Lease> GetLease(const std::string& key) = 0;
  // Takes the lease for `owner` until now_ms + ttl_ms when it is free or expired at now_ms, or held
  // by `dead_owner` (non-empty: the caller proved that holder gone, e.g. a pid of this host that no
  // longer runs): the counter goes up by one. When `owner` already holds it, this renews it (counter
  // unchanged). Otherwise kConflict naming the holder and when its lease expires.
  virtual Result<Lease> AcquireLease(const std::string& key, const std::string& owner, int64_t now_ms,
                                     int64_t ttl_ms, const std::string& dead_owner = "") = 0;
  // Extends a lease still held (same owner and counter; an expired one nobody took is still ours)
  // to now_ms + ttl_ms. kConflict when it was taken over meanwhile.
  virtual Result<Lease> RenewLease(const Lease& held, int64_t now_ms, int64_t ttl_ms) = 0;
  // Frees a lease still held (owner "", counter kept). Ok when it is no longer ours.
  virtual Status ReleaseLease(const Lease& held) = 0;
  // Sets the log's pending_write ("" clears it) while `held` (the lease on `url`) is still ours;
  // kConflict when it is not, kNotFound for an unknown url.
  virtual Status RecordPendingWrite(const std::string& url, const Lease& held,
                                    const std::string& pending) = 0;
};

}  // namespace ctdl
