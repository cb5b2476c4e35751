// FetchStage: the fetch threads of one log's download (doc/download.md). Each thread takes a claim
// from the Scheduler, waits for the host's request slot (TokenBucket), sends the request the
// LogSource shapes for it through the HttpClient (the process's curl-multi engine: the threads only
// wait, the engine multiplexes), classifies the reply (net/retry.h) and reports it: a 200 goes to the
// decode pool's queue (Scheduler::Fetched), anything else back to the scheduler (Failed: backoff,
// Retry-After, AIMD), a range that ran out of tries or a fatal reply stops the download (RunControl).
// Stops: once `stopping` says so no request is sent; one still in flight is cancelled when it has not
// finished about `cancel_after` later (HttpRequest::cancelled), so a signal is honoured within ~1 s.
// The threads end when the scheduler has nothing more (everything delivered, closed, or stopping);
// the last one closes the output queue.
// Thread safety: Start once, then Join (or destroy) from the same thread.
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/closable_queue.h"
#include "net/http_client.h"
#include "sync/decode_pool.h"
#include "sync/log_source.h"
#include "sync/rate_limiter.h"
#include "sync/run_control.h"
#include "sync/scheduler.h"

namespace ctdl {

class FetchStage {
 public:
  struct Config {
    Duration request_timeout = std::chrono::seconds(30);
    Duration poll = std::chrono::milliseconds(100);       // stop checks while waiting for a slot
    Duration cancel_after = std::chrono::seconds(1);      // in flight after a stop: then cancelled
    std::function<bool()> stopping;                       // signal, error, lost lease
    std::function<void()> on_stale;                       // a 400 from a lagging backend (re-read the head)
    // Called once, on the fetcher's thread, just before the claim that ends at `last_end` (the run's
    // target) is sent: the last request of the run, unless some are retried (the download prefetches
    // its last consistency proof then, to have it when the last segment is written).
    uint64_t last_end = 0;
    std::function<void()> on_last_claim;
  };
  // All must outlive the stage.
  FetchStage(Config config, const LogSource& source, Scheduler& scheduler, HttpClient& http, Clock& clock,
             TokenBucket& bucket, RunControl& control, DownloadCounters& counters);
  ~FetchStage();  // joins
  FetchStage(const FetchStage&) = delete;
  FetchStage& operator=(const FetchStage&) = delete;

  void Start(int threads, ClosableQueue<FetchedReply>& out);
  void Join();

 private:
  void Loop(ClosableQueue<FetchedReply>& out);
  // False when the output refused the reply (the decoders are gone).
  bool Fetch(const Scheduler::Claim& c, ClosableQueue<FetchedReply>& out);
  bool WaitForSlot();     // the host bucket's next request slot; false when stopping
  bool CancelInFlight();  // HttpRequest::cancelled: stopping for cancel_after already

  const Config cfg_;
  const LogSource& source_;
  Scheduler& scheduler_;
  HttpClient& http_;
  Clock& clock_;
  TokenBucket& bucket_;
  RunControl& control_;
  DownloadCounters& n_;
  std::atomic<int> alive_{0};
  std::atomic<bool> last_claimed_{false};
  std::atomic<int64_t> stop_seen_ns_{0};  // clock time a stop was first seen by CancelInFlight (0: not yet)
  std::vector<std::thread> threads_;
};

}  // namespace ctdl
