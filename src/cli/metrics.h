// The metrics endpoint of `download --metrics-listen ADDR:PORT` (doc/metrics.md): Prometheus text
// format 0.0.4 at /metrics, "ok" at /healthz, rendered from the download's LogProgress snapshots at
// each scrape (nothing is cached). A ProgressSink: it serves from Attach(view) to Attach(nullptr);
// before and after, /metrics has the process metrics only.
// Errors: Start returns kInvalidArgument for a malformed address, kUnavailable when it cannot bind.
// Thread safety: RenderMetrics is pure; the server answers on its own threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "sync/progress.h"

namespace ctdl::cli {

struct BuildInfo {
  std::string version;
};

// The whole /metrics body. now_unix: wall clock (for the tree head age).
std::string RenderMetrics(const std::vector<LogProgress>& logs, const ProcessProgress& process,
                          const BuildInfo& build, double now_unix);

class MetricsServer : public ProgressSink {
 public:
  ~MetricsServer() override = default;
  // Listens on "ADDR:PORT" (IPv4 or a host name; "[::1]:PORT" for IPv6); port 0 picks one.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen, BuildInfo build);
  virtual int port() const = 0;
};

}  // namespace ctdl::cli
