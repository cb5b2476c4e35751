// Download: mirror logs from their saved position to their tree size (see doc/DESIGN.md, data flow).
// The CLI parses flags into DownloadOptions and calls RunDownload; it owns the backends.
#pragma once

#include <atomic>
#include <cstdint>
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
  std::vector<std::string> urls;           // as registered (trailing '/' optional)
  std::optional<uint64_t> end;             // stop at this index (exclusive); default: tree size
  int max_inflight = 64;                   // per log (AIMD ceiling; latency-bound logs need many)
  double max_rps = 0;                      // per host; 0 = unlimited
  uint64_t segment_entries = 100000;
  std::string compression = "gzip";        // gzip | zstd
  uint32_t fields = 0;                     // x509 FieldSet
  bool progress = true;                    // terminal bars when stderr is a tty
  bool verify = true;                      // --no-verify turns Merkle/signature checks off
  double progress_interval = 0;            // seconds between updates; 0: 0.2 on a terminal, else 5
  // --distributed: cooperate with other processes on each log through chunk leases in the state
  // store (sync/distributed.h, doc/distributed.md).
  bool distributed = false;
  uint64_t chunk_entries = uint64_t{1} << 20;  // a power of two >= 256
  double lease_seconds = 60;
};

struct DownloadContext {
  StateStore* store = nullptr;
  Archive* archive = nullptr;
  HttpClient* http = nullptr;
  Clock* clock = nullptr;
  // Set by the signal handler: first signal = graceful stop (flush + commit), second = exit at once.
  std::atomic<int>* stop_signals = nullptr;
  // Optional: where progress goes (tests). Default: bars on stderr when it is a terminal and
  // options.progress, else a line per log every few seconds on stderr.
  ProgressSink* progress = nullptr;
};

// Downloads every named log concurrently. Returns ok when each log reached its target (or stopped
// gracefully on a signal), else the first error (with the log named in the message).
Status RunDownload(const DownloadOptions& options, const DownloadContext& context);

}  // namespace ctdl
