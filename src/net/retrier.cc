#include "net/retrier.h"

#include <fmt/format.h>

#include <algorithm>

namespace ctdl {

namespace {
constexpr Duration kSlice = std::chrono::milliseconds(100);

bool Retryable(Disposition d) {
  return d == Disposition::kRetry || d == Disposition::kThrottled || d == Disposition::kStale;
}
}  // namespace

std::string DescribeFailure(const HttpResponse& r) {
  return r.status ? fmt::format("HTTP {}", r.status) : r.error;
}

bool Retrier::Outcome::exhausted() const { return !stopped && Retryable(verdict.disposition); }

Retrier::Retrier(HttpClient& http, Clock& clock, RetryPolicy policy, std::function<bool()> stop)
    : http_(http), clock_(clock), policy_(policy), stop_(std::move(stop)), rng_(std::random_device{}()) {}

bool Retrier::Sleep(Duration d) {
  while (d > Duration::zero()) {
    if (Stopped()) return false;
    Duration step = std::min(d, kSlice);
    clock_.SleepFor(step);
    d -= step;
  }
  return !Stopped();
}

Retrier::Outcome Retrier::Run(HttpRequest request, const Classifier& classify, const Check& check,
                              const Hooks& hooks) {
  bool soft = policy_.stop_ends_retries_only;
  if (stop_ && !soft && !request.cancelled) request.cancelled = stop_;
  Outcome out;
  int attempts = std::max(1, policy_.max_attempts);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (hooks.before_attempt) {
      Duration wait = hooks.before_attempt();
      if (!Sleep(wait) && !(soft && attempt == 0)) break;
    }
    if (Stopped() && !(soft && attempt == 0)) break;
    out.response = http_.Fetch(request);
    out.attempts = attempt + 1;
    out.verdict = classify(out.response, clock_.WallNow());
    if (hooks.after_attempt) hooks.after_attempt(out.response, out.verdict);
    out.why.clear();
    if (out.verdict.disposition == Disposition::kSuccess && check) {
      if (Status s = check(out.response); !s.ok()) {
        out.verdict = {Disposition::kRetry, std::nullopt};
        out.why = s.message();
      }
    }
    if (out.verdict.disposition == Disposition::kSuccess) return out;
    if (out.why.empty()) out.why = DescribeFailure(out.response);
    if (!Retryable(out.verdict.disposition) || attempt + 1 == attempts) return out;
    if (out.response.transport == TransportError::kCancelled && Stopped()) break;
    Duration delay = policy_.backoff.Delay(attempt, rng_);
    if (out.verdict.retry_after)
      delay = std::max(delay, std::min(*out.verdict.retry_after, policy_.max_retry_after));
    if (hooks.on_retry) hooks.on_retry(out, delay);
    if (!Sleep(delay)) break;
  }
  out.stopped = true;
  return out;
}

}  // namespace ctdl
