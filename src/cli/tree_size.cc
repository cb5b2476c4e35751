#include "cli/tree_size.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/clock.h"
#include "ct/tree_head.h"
#include "net/retrier.h"
#include "sync/log_source.h"
#include "sync/verify_step.h"

namespace ctdl::cli {

std::string TreeHeadUrl(const LogState& log) { return NewLogSource(log, false)->TreeHeadUrl(); }

// Fetching and parsing are the log's source's (sync/log_source.h); only the messages are init's.
Result<FetchedTreeHead> FetchTreeHead(HttpClient& http, const LogState& log, const FetchOptions& options) {
  std::unique_ptr<LogSource> source = NewLogSource(log, false);
  HttpRequest req;
  req.timeout = options.timeout;
  req.connect_timeout = options.connect_timeout;
  req.accept_gzip = true;
  RetryPolicy policy;
  policy.max_attempts = options.attempts;
  policy.backoff = Backoff{std::chrono::milliseconds(500), std::chrono::seconds(5)};
  policy.max_retry_after = std::chrono::seconds(5);
  Retrier retrier(http, options.clock ? *options.clock : *RealClock(), policy, options.stop);
  LogSource::FetchedHead got = source->FetchTreeHead(retrier, req);
  const std::string url = source->TreeHeadUrl();
  if (got.outcome.stopped) return Cancelled(url + ": stopped");
  const HttpResponse& resp = got.outcome.response;
  if (!got.outcome.ok()) {
    if (resp.status == 200)  // it answered, but not with a tree head
      return source->ParseTreeHead(resp.body).status().Annotate(url);
    return resp.status == 0 ? Unavailable(fmt::format("cannot reach {}: {}", url, resp.error))
                            : Unavailable(fmt::format("{} answered HTTP {}", url, resp.status));
  }
  FetchedTreeHead out;
  out.tree_size = got.head->tree_size;
  out.sth = std::move(got.outcome.response.body);
  return out;
}

Result<FetchedTreeHead> FetchVerifiedTreeHead(HttpClient& http, const LogState& log,
                                              const FetchOptions& options) {
  TRY_ASSIGN(FetchedTreeHead fetched, FetchTreeHead(http, log, options));
  TRY_ASSIGN(LogVerifier verifier, VerifierForLog(log));
  TRY_ASSIGN(TreeHead head, VerifyTreeHead(log, verifier, fetched.sth));
  fetched.verified = true;
  if (options.prove_consistency && !log.sth.empty()) {
    // The stored head was verified when it was stored; re-checking its signature costs nothing and
    // guards against a state written by an older ctdl or another tool.
    auto old = VerifyTreeHead(log, verifier, log.sth);
    if (!old.ok()) {
      if (old.status().code() == Code::kVerifyFailed)
        return old.status().Annotate("the tree head stored in the state");
      return fetched;  // unreadable stored head (e.g. left by another tool): nothing to prove against
    }
    ProofFetch pf;
    pf.attempts = std::max(1, options.attempts);
    pf.timeout = options.timeout;
    pf.clock = options.clock;
    if (old->size > head.size) {
      // Older than the stored head (a lagging frontend or cache), as download treats it
      // (sync/verify_step.cc): fine when it is a proven prefix of the stored tree, a fork otherwise.
      TRY(ProveExtends(http, log, head.size, head.root, old->size, old->root, pf));
      fetched.lagging = true;
    } else {
      TRY(ProveExtends(http, log, old->size, old->root, head.size, head.root, pf));
    }
  }
  return fetched;
}

std::vector<Result<FetchedTreeHead>> FetchTreeHeads(HttpClient& http, const std::vector<LogState>& logs,
                                                    int concurrency, const FetchOptions& options,
                                                    bool verify) {
  std::vector<Result<FetchedTreeHead>> results(logs.size(), Result<FetchedTreeHead>(Internal("not fetched")));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < logs.size();)
      results[i] =
          verify ? FetchVerifiedTreeHead(http, logs[i], options) : FetchTreeHead(http, logs[i], options);
  };
  size_t n = std::min<size_t>(std::max(1, concurrency), logs.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace ctdl::cli
