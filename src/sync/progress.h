// What a download shows while it runs: a LogProgress snapshot per log, and the ProgressSink that
// receives them (the terminal display, line output and the metrics endpoint live in src/cli).
// Thread safety: snapshots are plain values; a ProgressSink is called from one reporter thread, except
// Attach's view, which may be read from any thread while the download runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/http_client.h"

namespace ctdl {

// HTTP requests of one log by outcome (sync/http_meter.h counts them at the HttpClient seam).
struct RequestCounts {
  uint64_t ok = 0;            // 2xx
  uint64_t throttled = 0;     // 429
  uint64_t server_error = 0;  // 5xx
  uint64_t client_error = 0;  // other statuses (400 from a lagging backend, 404, ...)
  uint64_t timeout = 0;       // transport failure: timed out
  uint64_t transport = 0;     // other transport failures (DNS, connect, reset, truncated)
  uint64_t bytes_in = 0;      // response bodies
  uint64_t bytes_out = 0;     // request bodies
  uint64_t total() const { return ok + throttled + server_error + client_error + timeout + transport; }
};

// A snapshot of one log's download (one run, or a whole --follow session: counters add up over runs).
struct LogProgress {
  std::string url;
  std::string log_id;            // base64, from the state ("" when registered without a log list)
  uint64_t start = 0;            // position when this process started on the log
  uint64_t position = 0;         // entries [0, position) are decoded and in order (committed or buffered)
  uint64_t committed = 0;        // position stored in the state (durable)
  uint64_t verified = 0;         // largest Merkle-verified size committed
  uint64_t target = 0;           // where this run stops: min(tree size, --end); 0 before the tree head
  uint64_t tree_size = 0;        // largest verified tree size seen
  int64_t sth_timestamp_ms = 0;  // timestamp of that tree head (0: unknown)
  int64_t last_commit_unix = 0;  // wall time of the last commit (0: none in this process)
  uint64_t bytes_in = 0;         // HTTP bodies received
  uint64_t bytes_out = 0;        // compressed segment bytes written
  uint64_t retries = 0;          // failed requests retried (5xx, transport, bad JSON, empty, 400)
  uint64_t throttled = 0;        // 429 / 503 with Retry-After
  uint64_t bad_entries = 0;      // entries written as error records
  uint64_t segments = 0;
  RequestCounts requests;   // every request of this log (entries, tree heads, proofs)
  double seconds = 0;       // since this process started on the log (frozen when finished)
  double recent_rate = -1;  // entries/s over the last seconds (-1: not measured)
  bool following = false;   // --follow: polls for new entries until stopped
  bool finished = false;
  std::string activity;  // following: "downloading", "caught up", "retrying: ..." (display)
  std::string status;    // when finished: "complete", "stopped at N", or the error

  uint64_t done() const { return position - start; }
  uint64_t behind() const { return tree_size > committed ? tree_size - committed : 0; }
  double average_rate() const { return seconds > 0 ? double(done()) / seconds : 0; }
  // The recent rate while running, the average once finished (frozen).
  double rate() const { return !finished && recent_rate >= 0 ? recent_rate : average_rate(); }
};

// Process-wide numbers (metrics): requests in flight over every log.
struct ProcessProgress {
  int64_t inflight_requests = 0;
  uint64_t logs = 0;
  HttpStats http;  // requests completed and connections opened by the process's HTTP client
};

// A running download, readable from any thread (e.g. a metrics server) between Attach(view) and
// Attach(nullptr).
class DownloadView {
 public:
  virtual ~DownloadView() = default;
  virtual std::vector<LogProgress> Logs() const = 0;
  virtual ProcessProgress Process() const = 0;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Attach(const DownloadView* view) {}                // at start, and nullptr at the end
  virtual void Update(const std::vector<LogProgress>& logs) = 0;  // called every tick
  virtual void Finish(const std::vector<LogProgress>& logs) = 0;  // once, at the end
};

}  // namespace ctdl
