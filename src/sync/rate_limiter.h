// Per-host request pacing (--max-rps) and adaptive concurrency (AIMD) for one log's fetchers.
// Thread safety: TokenBucket is thread-safe (shared by every log on one host). Aimd is a plain value;
// the owner locks.
#pragma once

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>

#include "base/clock.h"

namespace ctdl {

// A token bucket that paces requests: Reserve() returns zero when the caller may send now (the slot is
// taken), else how long to wait before asking again (nothing is taken: the pace may change meanwhile,
// e.g. after a 429, and the new pace applies at once). rps <= 0 means unlimited. Burst: up to
// max(1, rps) tokens.
//
// It also learns the host's rate limit from its 429s (OnThrottled/OnSuccess): unlimited until the first
// 429, then requests are paced evenly (no burst) at a learned rate below the user's cap. The first
// guess is 90 % of the rate the host served just before (its burst, mostly) and grows 20 %/s; a later
// 429 cuts it to 90 % of the smaller of the current rate and what the host served over the last 2 s
// (while over its limit a host serves about its limit), at most once per 2 s (the replies to one burst
// arrive together, and the host's bucket needs a moment to refill), never below half the best rate
// served lately (sporadic 429s must not spiral it down); after such a cut it grows 3 %/s, or 20 %/s
// while below 80 % of that best rate. Pacing just below the limit, instead of pausing everyone on
// each 429, keeps a rate-limited download near the allowed rate with few 429s.
class TokenBucket {
 public:
  explicit TokenBucket(double rps) : rps_(rps), burst_(std::max(1.0, rps)), tokens_(burst_) {}
  Duration Reserve(SteadyTime now);
  double rps() const { return rps_; }
  // Outcomes of the host's replies. `sent`: when the request was sent (about when the host counted
  // it; a 429 comes back sooner than a large 200 sent at the same moment). retry_after: the 429's
  // Retry-After, when it had one.
  void OnSuccess(SteadyTime sent);
  void OnThrottled(SteadyTime sent, std::optional<Duration> retry_after = std::nullopt);
  double learned_rps() const;  // 0: no 429 seen yet (unlimited)

  static constexpr double kMinLearnedRps = 0.05;

 private:
  Duration ReserveCap(SteadyTime now);  // under mu_
  mutable std::mutex mu_;
  double rps_;
  double burst_;
  double tokens_;
  bool started_ = false;
  SteadyTime last_{};
  // Learned pacing.
  double learned_ = 0;
  SteadyTime next_slot_{};
  SteadyTime last_cut_{};
  bool cut_once_ = false;
  std::deque<SteadyTime> ok_;  // success times within the last kWindow
  SteadyTime first_ok_{};
  double cut_to_ = 0;       // the rate set by the last measured cut (0: none yet)
  double best_served_ = 0;  // best rate served lately (see OnThrottled)
};

// Additive increase, multiplicative decrease of the number of requests in flight.
class Aimd {
 public:
  Aimd(double start, double max) : max_(std::max(1.0, max)), limit_(std::min(start, max_)) {}
  void OnSuccess() { limit_ = std::min(max_, limit_ + 1); }
  void OnCongestion() { limit_ = std::max(1.0, limit_ / 2); }
  int limit() const { return static_cast<int>(limit_); }

 private:
  double max_;
  double limit_;
};

}  // namespace ctdl
