// ChunkLease: one chunk this process holds (doc/distributed.md, store/chunk.h). Every write to the
// chunk's item goes through here, each a compare-and-set on the lease counter of our previous write,
// so once anyone else wrote the item (took the expired lease, rejected the chunk) every write fails
// and the lease is lost for good: the pipeline stops writing that chunk at once.
//
// Expiry is judged locally too: Valid() is false once the last successful write was started more
// than 2/3 of the lease ago (renewals run every 1/3), so a process that was paused (SIGSTOP, a long
// GC-like stall, a suspended VM) notices on waking, before its next archive Put, that others may
// have taken the chunk. The pause can still fall between the check and the Put; that Put then
// writes the same deterministic segment the new holder writes (doc/distributed.md, "Fencing").
//
// Thread-safe: the renewer thread, the pipeline's writer and the worker call it concurrently.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "store/state_store.h"
#include "sync/archive_claim.h"

namespace ctdl {

class ChunkLease {
 public:
  // Takes `seen` (as listed: free, or leased with an expired lease) for `owner` until now + lease.
  // kConflict when another worker wrote the item since it was listed (a lost race).
  static Result<std::unique_ptr<ChunkLease>> Take(StateStore* store, const Chunk& seen,
                                                  const std::string& owner, Duration lease,
                                                  Clock* clock);

  // expires_at = now + lease. kConflict once lost.
  Status Renew();
  // Records that [first, position) is durable, with its local compact range text.
  Status Commit(uint64_t position, const std::string& compact_range);
  // The whole chunk is durable: state done with its subtree hash (base64).
  Status MarkDone(uint64_t position, const std::string& compact_range, const std::string& subtree_hash);
  // Back to free (stopped, or the tail reached the tree size), keeping the committed position.
  Status Release();

  // The lease is ours and not close to expiring (see above).
  bool Valid() const;
  bool lost() const { return lost_.load(); }
  Chunk chunk() const;  // the item as we last wrote it
  Duration lease() const { return lease_; }

 private:
  ChunkLease(StateStore* store, Chunk chunk, Duration lease, Clock* clock, SteadyTime written);
  Status Write(Chunk next);  // under mu_: CAS on chunk_.counter, then chunk_ = next

  StateStore* store_;
  Duration lease_;
  Clock* clock_;
  mutable std::mutex mu_;
  Chunk chunk_;               // under mu_; counter = the stored counter after our last write
  SteadyTime last_write_{};   // under mu_: when the last successful write was started
  std::atomic<bool> lost_{false};
};

// What LogDownload needs to download one leased chunk instead of a whole log (sync/log_download.h):
// it starts at `position` with the chunk's local compact range, stops at `target`, commits through
// the lease (no StateStore::Advance, no archive cleanup, no tree head: the chunk worker does those),
// and stops as soon as the lease is lost.
struct ChunkJob {
  ChunkLease* lease = nullptr;
  std::string log_type;       // LogState::log_type
  uint64_t position = 0;      // where to start: the chunk's committed position
  uint64_t target = 0;        // where to stop: min(chunk end, tree size)
  uint64_t tree_size = 0;     // of the signed head the chunk is fetched against
  std::string compact_range;  // local compact range of [first, position) ("" when position == first)
  const ArchiveClaim* claim = nullptr;  // the folder's writer claim, held by the worker (sync/archive_claim.h)
};

}  // namespace ctdl
