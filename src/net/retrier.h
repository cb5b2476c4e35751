// Retrier: the one retry loop of ctdl's control requests (tree heads, proofs, tree-size refresh,
// S3, DynamoDB), built on a classifier (net/retry.h Classify unless the caller has its own), Backoff
// and the injected Clock. It sends a request until the verdict is final (success, fatal, not found)
// or the attempts run out, waiting max(backoff, Retry-After) between tries. Waits are slept in
// slices of at most 100 ms and end early when `stop` says so; `stop` is also given to the engine
// (HttpRequest::cancelled) so a request in flight is abandoned too: a signal is honoured within 1 s.
// What the outcome means (the error text, which codes are the caller's business) stays with the
// caller. Not thread-safe: one Retrier per loop (they are cheap).
#pragma once

#include <functional>
#include <random>
#include <string>

#include "base/clock.h"
#include "net/http_client.h"
#include "net/retry.h"

namespace ctdl {

struct RetryPolicy {
  int max_attempts = 12;
  Backoff backoff;                                     // base 250 ms, cap 60 s
  Duration max_retry_after = std::chrono::minutes(5);  // a longer Retry-After is cut to this
  // false (default): `stop` also prevents the first try and cancels the request in flight.
  // true: `stop` only ends retries and waits; the first try, and any try begun, runs to its end
  // (work that should still finish after a graceful-stop signal if the server answers at once).
  bool stop_ends_retries_only = false;
};

// "HTTP 503" or the transport error text: how a failed reply is named in messages.
std::string DescribeFailure(const HttpResponse& response);

class Retrier {
 public:
  using Classifier = std::function<Verdict(const HttpResponse&, WallTime now)>;
  // A 2xx whose body is unusable (truncated JSON, a tree head that does not parse): a non-ok
  // Status makes it a retry, with that message.
  using Check = std::function<Status(const HttpResponse&)>;

  struct Outcome {
    HttpResponse response;  // the last one (empty when stopped before the first)
    Verdict verdict{Disposition::kRetry, std::nullopt};
    std::string why;        // of the last failure: DescribeFailure, or the check's message
    int attempts = 0;
    bool stopped = false;   // `stop` fired; give up quietly
    bool ok() const { return !stopped && verdict.disposition == Disposition::kSuccess; }
    bool exhausted() const;  // every attempt failed retryably
  };

  // Optional observers and pacing.
  struct Hooks {
    std::function<Duration()> before_attempt;  // a wait before each try (rate limiter), may be 0
    // Every reply as classified, before the body check (e.g. to tell a rate limiter).
    std::function<void(const HttpResponse&, const Verdict&)> after_attempt;
    std::function<void(const Outcome& failed, Duration delay)> on_retry;  // counters, debug logs
  };

  Retrier(HttpClient& http, Clock& clock, RetryPolicy policy = {}, std::function<bool()> stop = {});

  Outcome Run(HttpRequest request, const Classifier& classify = Classify, const Check& check = {},
              const Hooks& hooks = {});
  // Waits `d` on the clock in slices; false when stopped meanwhile.
  bool Sleep(Duration d);

 private:
  bool Stopped() const { return stop_ && stop_(); }

  HttpClient& http_;
  Clock& clock_;
  RetryPolicy policy_;
  std::function<bool()> stop_;
  std::mt19937_64 rng_;
};

}  // namespace ctdl
