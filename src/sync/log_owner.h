// LogOwner: one process's ownership of one log while it writes it (doc/state.md "Ownership").
//
//   Acquire        takes the lease on the log's url in the state store. Another live owner: kConflict
//                  with a message naming it (the download refuses; it never writes an object). A lease
//                  left by a process of this machine that no longer runs is taken over at once; one
//                  of another machine only after it expires (ttl).
//   StartHeartbeat a thread renews the lease every `renew`; when it is lost (we stalled past the
//                  expiry and someone took it) `on_lost` runs once. The store refuses every later
//                  write of ours anyway: pending writes and Advance are conditional on the lease.
//   Fence          fills Progress::lease_owner/lease_counter, so Advance is conditional on the lease.
//   RecordPending  the write-ahead record "<key> <sha256 hex>" before each Put (cleared by Advance).
//   Release        frees the lease (also done by the destructor); kConflict when it was lost meanwhile
//                  (taken over, or the state store replaced), so a run never ends as "complete" then.
// Thread safety: Fence/RecordPending/lease may be called from any thread once Acquire returned.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "store/state_store.h"

namespace ctdl {

struct LeaseTiming {
  std::chrono::milliseconds ttl{60000};    // a stalled or killed owner blocks others this long
  std::chrono::milliseconds renew{15000};  // heartbeat period (well below ttl)
};

// "<hostname>/<boot id>-<pid namespace>:<pid>:<16 hex random>", unique per process run (the part
// after '/' is left out where /proc does not tell them).
std::string NewOwnerId();
// True when `owner` (as made by NewOwnerId) names this pid space (same hostname, boot and pid
// namespace) and a pid that no longer runs. Never true without a boot id and pid namespace.
bool OwnerIsGoneHere(const std::string& owner);

// The lease on `url` when a live process holds it (not free, not expired, not a dead pid of this
// machine); nullopt otherwise. Distributed workers use it to keep out of a log that a plain download
// owns (doc/distributed.md "Plain and distributed downloads").
Result<std::optional<Lease>> LiveOwnerOf(StateStore& store, Clock& clock, const std::string& url);

// A parsed StateStore pending_write.
struct PendingWrite {
  std::string key;
  std::string sha256_hex;
};
std::string FormatPendingWrite(const std::string& key, std::string_view data);
std::optional<PendingWrite> ParsePendingWrite(std::string_view text);
std::string Sha256HexOf(std::string_view data);

class LogOwner {
 public:
  LogOwner(StateStore* store, Clock* clock, std::string url, LeaseTiming timing = {});
  ~LogOwner();
  LogOwner(const LogOwner&) = delete;
  LogOwner& operator=(const LogOwner&) = delete;

  Status Acquire();
  void StartHeartbeat(std::function<void(Status)> on_lost);
  Status Release();

  Lease lease() const;
  void Fence(Progress* p) const;
  Status RecordPending(const std::string& key, std::string_view data);
  Status ClearPending();

 private:
  int64_t NowMs() const;
  void Heartbeat(std::function<void(Status)> on_lost);

  StateStore* store_;
  Clock* clock_;
  std::string url_;
  LeaseTiming timing_;
  std::string owner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Lease lease_;        // under mu_
  bool held_ = false;  // under mu_
  bool stop_ = false;  // under mu_
  std::thread heartbeat_;
};

}  // namespace ctdl
