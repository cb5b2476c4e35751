#include "cli/tree_size.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/clock.h"
#include "ct/tree_head.h"
#include "net/retry.h"

namespace ctdl::cli {

std::string TreeHeadUrl(const LogState& log) {
  return log.url + (log.log_type == "tiled" ? "checkpoint" : "ct/v1/get-sth");
}

Result<FetchedTreeHead> FetchTreeHead(HttpClient& http, const LogState& log, const FetchOptions& options) {
  HttpRequest req;
  req.url = TreeHeadUrl(log);
  req.timeout = options.timeout;
  req.connect_timeout = options.connect_timeout;
  req.accept_gzip = true;
  Status last;
  for (int attempt = 0; attempt < std::max(1, options.attempts); ++attempt) {
    HttpResponse resp = http.Fetch(req);
    Verdict v = Classify(resp, RealClock()->WallNow());
    if (v.disposition == Disposition::kSuccess) {
      FetchedTreeHead out;
      if (log.log_type == "tiled") {
        auto cp = ParseCheckpoint(resp.body);
        if (!cp.ok()) return cp.status().Annotate(req.url);
        out.tree_size = cp->size;
      } else {
        auto sth = ParseGetSth(resp.body);
        if (!sth.ok()) return sth.status().Annotate(req.url);
        out.tree_size = sth->tree_size;
      }
      out.sth = std::move(resp.body);
      return out;
    }
    last = resp.status == 0 ? Unavailable(fmt::format("cannot reach {}: {}", req.url, resp.error))
                            : Unavailable(fmt::format("{} answered HTTP {}", req.url, resp.status));
    bool retry = v.disposition == Disposition::kRetry || v.disposition == Disposition::kThrottled;
    if (!retry) break;
    if (attempt + 1 < options.attempts) {
      Duration wait = std::chrono::milliseconds(500);
      if (v.retry_after) wait = std::min<Duration>(*v.retry_after, std::chrono::seconds(5));
      RealClock()->SleepFor(wait);
    }
  }
  return last;
}

std::vector<Result<FetchedTreeHead>> FetchTreeHeads(HttpClient& http, const std::vector<LogState>& logs,
                                                    int concurrency, const FetchOptions& options) {
  std::vector<Result<FetchedTreeHead>> results(logs.size(), Result<FetchedTreeHead>(Internal("not fetched")));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < logs.size();) results[i] = FetchTreeHead(http, logs[i], options);
  };
  size_t n = std::min<size_t>(std::max(1, concurrency), logs.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace ctdl::cli
