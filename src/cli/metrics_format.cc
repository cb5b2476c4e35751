// RenderMetrics (cli/metrics.h): one family per metric, HELP and TYPE first, one sample per log.
#include <fmt/format.h>

#include <functional>

#include "cli/metrics.h"

namespace ctdl::cli {
namespace {

std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Labels(const LogProgress& p, std::string_view extra = {}) {
  std::string s = fmt::format("log=\"{}\",log_id=\"{}\"", Escape(p.url), Escape(p.log_id));
  if (!extra.empty()) s += fmt::format(",{}", extra);
  return "{" + s + "}";
}

std::string Num(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v < 9e15 && v > -9e15)
    return std::to_string(static_cast<int64_t>(v));
  return fmt::format("{:.6g}", v);
}

class Writer {
 public:
  explicit Writer(const std::vector<LogProgress>& logs) : logs_(logs) {}
  void Family(const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  // One sample per log.
  void PerLog(const char* name, const char* type, const char* help,
              const std::function<double(const LogProgress&)>& value) {
    Family(name, type, help);
    for (const auto& p : logs_) out += fmt::format("{}{} {}\n", name, Labels(p), Num(value(p)));
  }
  void Sample(const char* name, std::string_view labels, double v) {
    out += fmt::format("{}{} {}\n", name, labels, Num(v));
  }
  std::string out;

 private:
  const std::vector<LogProgress>& logs_;
};

}  // namespace

std::string RenderMetrics(const std::vector<LogProgress>& logs, const ProcessProgress& process,
                          const BuildInfo& build, double now_unix) {
  Writer w(logs);
  w.Family("ctdl_build_info", "gauge", "Always 1; the version of the running ctdl.");
  w.Sample("ctdl_build_info", fmt::format("{{version=\"{}\"}}", Escape(build.version)), 1);
  w.Family("ctdl_inflight_requests", "gauge", "HTTP requests in flight, over every log.");
  w.Sample("ctdl_inflight_requests", "", double(process.inflight_requests));
  w.Family("ctdl_http_connections_opened_total", "counter",
           "TCP (+TLS) connections the HTTP client opened (reused ones count once).");
  w.Sample("ctdl_http_connections_opened_total", "", double(process.http.connections));
  w.Family("ctdl_http_connections_open", "gauge",
           "Connections open now (in use, kept alive for reuse, or connecting).");
  w.Sample("ctdl_http_connections_open", "", double(process.http.open_connections));
  w.Family("ctdl_http_requests_total", "counter", "HTTP requests completed, over every log.");
  w.Sample("ctdl_http_requests_total", "", double(process.http.requests));
  w.Family("ctdl_logs", "gauge", "Logs in this download.");
  w.Sample("ctdl_logs", "", double(process.logs));

  w.PerLog("ctdl_log_tree_size", "gauge", "Entries in the largest verified tree head seen.",
           [](const LogProgress& p) { return double(p.tree_size); });
  w.PerLog("ctdl_log_sth_timestamp_seconds", "gauge", "Timestamp of that tree head (0: unknown).",
           [](const LogProgress& p) { return p.sth_timestamp_ms / 1000.0; });
  w.PerLog(
      "ctdl_log_sth_age_seconds", "gauge", "Age of that tree head at the scrape (-1: unknown).",
      [&](const LogProgress& p) { return p.sth_timestamp_ms ? now_unix - p.sth_timestamp_ms / 1000.0 : -1; });
  w.PerLog("ctdl_log_committed_position", "gauge",
           "Entries [0, position) are in the archive and committed in the state.",
           [](const LogProgress& p) { return double(p.committed); });
  w.PerLog("ctdl_log_verified_size", "gauge", "Largest committed size whose Merkle root was verified.",
           [](const LogProgress& p) { return double(p.verified); });
  w.PerLog("ctdl_log_entries_behind", "gauge", "Tree size minus committed position.",
           [](const LogProgress& p) { return double(p.behind()); });
  w.PerLog("ctdl_log_entries_per_second", "gauge", "Download rate over the last 20 seconds.",
           [](const LogProgress& p) { return p.rate(); });
  w.PerLog("ctdl_log_entries_total", "counter", "Entries downloaded by this process.",
           [](const LogProgress& p) { return double(p.done()); });
  w.Family("ctdl_log_requests_total", "counter", "HTTP requests by outcome.");
  for (const auto& p : logs) {
    const RequestCounts& c = p.requests;
    std::pair<const char*, uint64_t> by[] = {
        {"ok", c.ok},           {"429", c.throttled},      {"5xx", c.server_error}, {"4xx", c.client_error},
        {"timeout", c.timeout}, {"transport", c.transport}};
    for (const auto& [outcome, n] : by)
      w.Sample("ctdl_log_requests_total", Labels(p, fmt::format("outcome=\"{}\"", outcome)), double(n));
  }
  w.PerLog("ctdl_log_retries_total", "counter", "Requests retried (5xx, 429, transport, bad replies).",
           [](const LogProgress& p) { return double(p.retries + p.throttled); });
  w.PerLog("ctdl_log_bad_entries_total", "counter", "Entries written as error records.",
           [](const LogProgress& p) { return double(p.bad_entries); });
  w.PerLog("ctdl_log_received_bytes_total", "counter", "HTTP response body bytes received.",
           [](const LogProgress& p) { return double(p.bytes_in); });
  w.PerLog("ctdl_log_written_bytes_total", "counter", "Compressed segment bytes written to the archive.",
           [](const LogProgress& p) { return double(p.bytes_out); });
  w.PerLog("ctdl_log_segments_written_total", "counter", "Segments written to the archive.",
           [](const LogProgress& p) { return double(p.segments); });
  w.PerLog("ctdl_log_last_commit_timestamp_seconds", "gauge",
           "Wall time of the last commit in this process (0: none yet).",
           [](const LogProgress& p) { return double(p.last_commit_unix); });
  w.PerLog("ctdl_log_running", "gauge", "1 while the log is downloaded or followed, 0 once it finished.",
           [](const LogProgress& p) { return p.finished ? 0.0 : 1.0; });
  w.PerLog("ctdl_log_failed", "gauge", "1 when the log stopped on an error.", [](const LogProgress& p) {
    return p.finished && p.status.rfind("complete", 0) != 0 && p.status.rfind("stopped at", 0) != 0 ? 1.0
                                                                                                    : 0.0;
  });
  return w.out;
}

}  // namespace ctdl::cli
