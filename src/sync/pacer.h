// Pacer: an adaptive request rate per host, learnt from 429s. Not called by LogDownload yet: an
// alternative to TokenBucket's learned rate (sync/rate_limiter.h), kept with its tests until one is
// chosen (measured side by side: build-pace/exp/README.md, not in git).
//
//   - Unlimited until the first throttle (HTTP 429, or 503 with Retry-After).
//   - On a throttle of a request sent after the last decrease: rate = decrease x the success rate
//     measured over the last `window` (successes in it / window). A throttle of a request sent
//     before the last decrease says nothing new and is ignored (like TCP's one decrease per RTT).
//   - While replies succeed the rate grows: x3 per second until the second decrease (slow
//     start), then additively by max(min_increase, increase_fraction x rate) per second.
//   - Retry-After is the caller's business for the throttled request itself (it must not be retried
//     earlier). The pacer pauses every send of the host for Retry-After only when
//     `pause_after_consecutive` throttles of paced requests arrive with no success in between (the
//     server means it; the rate alone did not help).
// --max-rps (TokenBucket) stays a hard cap on top: callers acquire from both.
// Thread safety: every method is thread-safe (one Pacer is shared by all logs of a host).
#pragma once

#include <deque>
#include <mutex>
#include <optional>

#include "base/clock.h"

namespace ctdl {

struct PacerTuning {
  double decrease = 0.9;                             // rate after a throttle = decrease x measured
  Duration window = std::chrono::milliseconds(500);  // success-rate measurement window
  double min_rate = 0.2;                             // requests/s, the floor
  double slow_start_per_sec = 3.0;                   // growth factor per second before the 2nd decrease
  double increase_fraction = 0.025;                  // additive growth per second, x rate
  double min_increase = 0.1;                         // requests/s per second, at least
  int pause_after_consecutive = 3;                   // paced throttles in a row -> pause for Retry-After
};

class Pacer {
 public:
  explicit Pacer(PacerTuning tuning = {}) : t_(tuning) {}
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Zero: send now (the slot is taken). Otherwise no slot is taken: wait up to that long, then ask
  // again (the rate may change meanwhile).
  Duration Acquire(SteadyTime now);
  // A 2xx reply to a request.
  void OnSuccess(SteadyTime now);
  // A throttled reply to a request sent (acquired) at `sent`.
  void OnThrottled(SteadyTime sent, SteadyTime now, std::optional<Duration> retry_after);

  double rate() const;  // requests/s; 0 = unlimited (no throttle seen yet)
  bool slow_start() const;
  SteadyTime paused_until() const;

 private:
  void Grow(SteadyTime now);        // under mu_
  double Measured(SteadyTime now);  // successes/s over the window, under mu_

  const PacerTuning t_;
  mutable std::mutex mu_;
  std::deque<SteadyTime> successes_;  // within the window
  double rate_ = 0;                   // 0 = unlimited
  bool slow_start_ = true;
  int decreases_ = 0;
  SteadyTime last_grow_{};
  SteadyTime last_decrease_{};
  SteadyTime next_{};  // earliest next send when paced
  SteadyTime paused_until_{};
  int consecutive_ = 0;  // paced throttles since the last success
};

}  // namespace ctdl
