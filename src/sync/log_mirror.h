// LogMirror: one log of a download (sync/download.h), as one LogDownload or followed forever.
//
//   once   (default): one LogDownload from the saved position to min(tree size, --end).
//   follow (--follow): a loop around LogDownload. Every --poll-seconds (±10 % jitter) it reads the
//          state and the tree head, checks the head (signature with the log's key; consistent with
//          the stored head: a larger head needs a consistency proof, an older one from a lagging
//          frontend must be a prefix of it) and stores it; then a LogDownload brings the archive up
//          to where sync/follow_plan.h says: full segments at once, the partial tail once it waited
//          --rotate-seconds. A log whose list state is readonly or retired is downloaded to its
//          final tree and then no longer polled. While a run goes on (a long catch-up) the head is
//          still polled every --poll-seconds, so the stored head and its age stay current. Transient errors (unreachable log, 5xx, store
//          trouble) are retried with a growing pause (up to 10 min) without holding back the other
//          logs; a verification failure, a conflict (another ctdl on this log) or a corrupt archive
//          stops this log (its error is the download's result).
// Every request goes through a MeteredHttpClient (sync/http_meter.h): the snapshot has its counts.
// Thread safety: Run once, on one thread; Snapshot from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "base/status.h"
#include "ct/hash_tiles.h"
#include "store/state_store.h"
#include "sync/download.h"
#include "sync/follow_plan.h"
#include "sync/http_meter.h"
#include "sync/log_download.h"
#include "sync/progress.h"
#include "sync/rate_limiter.h"

namespace ctdl {

class LogMirror {
 public:
  // http: the client of the log's host (a HostBudget, or the process client); inflight: the
  // process-wide in-flight gauge (optional). All must outlive the mirror.
  LogMirror(std::string url, const DownloadOptions& options, const DownloadContext& context,
            TokenBucket* host_bucket, HttpClient* http, std::atomic<int64_t>* inflight = nullptr,
            PipelineTuning tuning = {});
  ~LogMirror();
  LogMirror(const LogMirror&) = delete;
  LogMirror& operator=(const LogMirror&) = delete;

  // Ok when done (once: at the target; follow: stopped by a signal, or a final log complete).
  Status Run();
  LogProgress Snapshot() const;
  const std::string& url() const { return url_; }

 private:
  Status RunOnce(std::optional<uint64_t> end);  // one LogDownload to min(tree, end)
  Status Follow();
  Status Poll();       // ReadState + PollHead
  Status ReadState();  // the stored state -> state_, final_
  Status PollHead();   // the log's tree head, verified against the stored one, stored when larger
  Status RunWhilePolling(uint64_t end, SteadyTime* next_poll);  // RunOnce; PollHead meanwhile
  Duration PollInterval();  // --poll-seconds ±10 %
  Status CheckHead(const std::string& text);
  bool WaitUntil(SteadyTime t);  // false when stopping
  bool Stopping() const;
  void SetActivity(std::string activity);
  void Finish(std::string status);

  const std::string url_;
  const DownloadOptions& options_;
  DownloadContext ctx_;  // the caller's, with http = &meter_
  TokenBucket* bucket_;
  PipelineTuning tuning_;
  MeteredHttpClient meter_;
  DownloadOptions run_options_;  // of the current LogDownload (its `end`)
  std::mt19937_64 rng_;

  // Follow state (Run's thread only).
  LogState state_;
  bool final_ = false;
  bool no_key_warned_ = false;
  int64_t mmd_warned_for_ = 0;
  GrowthLog growth_;
  std::optional<TileFetcher> tiles_;  // tiled logs: hash tiles cached across consistency proofs

  mutable std::mutex mu_;
  std::unique_ptr<LogDownload> current_;  // the running LogDownload (set/reset under mu_)
  LogProgress base_;                      // counters of finished runs, positions, activity
  bool start_set_ = false;                // base_.start is known
  SteadyTime started_{};
  SteadyTime finished_at_{};
  mutable std::deque<std::pair<SteadyTime, uint64_t>> samples_;  // (time, position) for the rate
};

}  // namespace ctdl
