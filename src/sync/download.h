// Download: mirror logs from their saved position to their tree size, or follow them as they grow
// (see doc/DESIGN.md, data flow; doc/cli.md). The CLI parses flags into DownloadOptions and calls
// RunDownload; it owns the backends, the display and the metrics endpoint (ProgressSinks).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "net/http_client.h"
#include "sink/archive.h"
#include "store/state_store.h"

namespace ctdl {

class ProgressSink;  // sync/progress.h

struct DownloadOptions {
  std::vector<std::string> urls;  // as registered (trailing '/' optional)
  std::optional<uint64_t> end;    // stop at this index (exclusive); default: tree size
  int max_inflight = 64;          // per log (AIMD ceiling; latency-bound logs need many)
  double max_rps = 0;             // per host; 0 = unlimited
  int max_host_inflight = 0;      // requests in flight per host, over its logs; 0 = unlimited
  uint64_t segment_entries = 100000;
  std::string compression = "gzip";  // gzip | zstd
  uint32_t fields = 0;               // x509 FieldSet
  bool verify = true;                // --no-verify turns Merkle/signature checks off
  double progress_interval = 5;      // seconds between ProgressSink updates
  // --follow (sync/log_mirror.h): poll each log's tree head and download what is new, until a signal.
  bool follow = false;
  double poll_seconds = 60;
  double rotate_seconds = 0;  // follow: seal a partial segment after this long (0: size only)
  // --distributed: cooperate with other processes on each log through chunk leases in the state
  // store (sync/distributed.h, doc/distributed.md).
  bool distributed = false;
  uint64_t chunk_entries = uint64_t{1} << 20;  // a power of two >= 256
  double lease_seconds = 60;
};

struct DownloadContext {
  StateStore* store = nullptr;
  // The state store's name for people ("sqlite:/abs/path", "dynamodb:TABLE"): written into the
  // archive's writer claims (sync/archive_claim.h).
  std::string state_name{};
  Archive* archive = nullptr;
  HttpClient* http = nullptr;
  Clock* clock = nullptr;
  // Set by the signal handler: first signal = graceful stop (flush + commit), second = exit at once.
  std::atomic<int>* stop_signals = nullptr;
  // Optional: where progress goes (display, metrics). Without one nothing is shown.
  ProgressSink* progress = nullptr;
  // Optional, with follow: every refresh_seconds, the URLs to mirror now (e.g. a re-read log list,
  // its new logs registered). Logs not running yet are started; running ones are left alone (a log
  // that turned readonly finishes by itself: LogMirror reads its state on every poll).
  std::function<Result<std::vector<std::string>>()> refresh;
  double refresh_seconds = 0;
};

// Downloads (or follows) every named log concurrently, one LogMirror each; logs of one host share
// its TokenBucket (--max-rps) and its HostBudget (--max-host-inflight). Returns ok when each log
// reached its target or stopped gracefully on a signal, else the first error (the log named in the
// message); with follow, one log's error does not stop the others.
Status RunDownload(const DownloadOptions& options, const DownloadContext& context);

}  // namespace ctdl
