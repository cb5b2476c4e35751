// LogDownload: one log's download, RFC 6962 or tiled (what differs is the LogSource, sync/log_source.h,
// chosen by LogState::log_type). Run = Prepare (state, the log's lease, archive prefix, the verified
// tree head, the plan) + RunStages, which only wires the stages (doc/download.md "Pipeline"):
//
//   Scheduler (sync/scheduler.h)        range list with explicit states, window, AIMD, pauses
//   FetchStage (sync/fetch_stage.h)     fetch threads, host TokenBucket -> ClosableQueue<FetchedReply>
//   DecodePool (sync/decode_pool.h)     decoder threads -> ClosableQueue<Batch>
//   Committer (sync/committer.h)        on Run's thread: reorder, compact range, root checks, segments
//   SegmentWriter (sync/segment_writer.h) own thread: prove, compress, Put, Advance (CAS)
//
// Exactly once: the log's lease is taken first (sync/log_owner.h: a second process refuses); each
// segment is recorded as the pending write, Put (create-exclusive), then committed by an Advance
// conditional on the lease; at startup only the recorded pending write is deleted, anything else
// beyond the committed position stops the download (sync/archive_guard.h).
// Memory is bounded: the scheduler only hands out ranges that start within `window` entries of the
// next index the committer needs, so fetched-but-uncommitted data is at most a window plus two
// segments.
// Thread safety: Run once; Snapshot may be called from any thread while Run runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "ct/merkle.h"
#include "ct/tree_head.h"
#include "sink/segment.h"
#include "sync/chunk_lease.h"
#include "sync/archive_claim.h"
#include "sync/committer.h"
#include "sync/download.h"
#include "sync/log_owner.h"
#include "sync/log_source.h"
#include "sync/pipeline_tuning.h"
#include "sync/progress.h"
#include "sync/rate_limiter.h"
#include "sync/run_control.h"
#include "sync/verify_step.h"

namespace ctdl {

class LogDownload {
 public:
  // chunk: download only that leased chunk (distributed downloads, sync/distributed.h); nullptr:
  // the whole log from its saved position.
  LogDownload(std::string url, const DownloadOptions& options, const DownloadContext& context,
              TokenBucket* host_bucket, PipelineTuning tuning = {}, const ChunkJob* chunk = nullptr);
  ~LogDownload();
  LogDownload(const LogDownload&) = delete;
  LogDownload& operator=(const LogDownload&) = delete;

  // Downloads from the saved position to min(tree size, --end). Ok when done or stopped by a signal.
  Status Run();
  LogProgress Snapshot() const;
  const std::string& url() const { return url_; }

 private:
  Status Prepare();                    // state, lease, archive prefix, tree head, plan
  Status PrepareChunk();               // the same for a leased chunk (chunk_)
  Result<SignedTreeHead> FetchSth();  // the tree head (get-sth | checkpoint), via source_
  Status RunStages();                  // the stages, wired (Run, after a successful Prepare)
  void RefreshSth();                   // after a 400: re-read the tree head (at most every 10 s)
  bool Stopping() const;               // signal or error
  bool SleepUntil(SteadyTime t);       // false when stopped meanwhile
  bool WaitForSlot();                  // the host bucket's next request slot; false when stopped

  const std::string url_;
  const DownloadOptions& options_;
  const DownloadContext& ctx_;
  TokenBucket* bucket_;
  PipelineTuning tuning_;
  const ChunkJob* chunk_;  // nullptr: the whole log
  Compression compression_ = Compression::kGzip;
  std::string slug_;
  std::string log_id_;  // base64, for the log_id record field (from the state; else SHA-256 of the key)
  RunControl control_;
  DownloadCounters n_;

  // Set by Prepare, then handed to the committer: position (at start), target, the compact range of
  // [0, position) when valid, the verified size, the signed roots (tree size -> root).
  Committer::Start plan_;
  DownloadVerifier verifier_;  // signatures, consistency, per-segment proofs (sync/verify_step.h)

  mutable std::mutex mu_;               // status_, last_sth_refresh_
  std::unique_ptr<LogSource> source_;  // set by Prepare; planning methods called by the scheduler
  std::unique_ptr<LogOwner> owner_;    // the log's lease, taken by Prepare
  std::unique_ptr<ArchiveClaim> claim_;  // the archive folder's writer claim, held by Prepare
  SteadyTime last_sth_refresh_{};
  std::string sth_body_;

  // Progress.
  SteadyTime started_{};
  std::atomic<uint64_t> start_pos_{0}, target_pub_{0}, tree_pub_{0};
  std::atomic<bool> finished_{false};
  std::string status_;  // under mu_
};

}  // namespace ctdl
