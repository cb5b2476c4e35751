#include "sync/rate_limiter.h"

#include <chrono>

namespace ctdl {

namespace {
constexpr Duration kWindow = std::chrono::seconds(2);
constexpr Duration kCutSpacing = std::chrono::seconds(2);
constexpr size_t kMinSamples = 5;

Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }
}  // namespace

Duration TokenBucket::Reserve(SteadyTime now) {
  std::lock_guard<std::mutex> l(mu_);
  if (learned_ > 0 && next_slot_ > now) return next_slot_ - now;
  Duration wait = ReserveCap(now);
  if (wait > Duration::zero()) return wait;
  if (learned_ > 0) next_slot_ = std::max(now, next_slot_) + Seconds(1.0 / learned_);
  return Duration::zero();
}

void TokenBucket::OnSuccess(SteadyTime now) {
  std::lock_guard<std::mutex> l(mu_);
  if (ok_.empty() && first_ok_ == SteadyTime{}) first_ok_ = now;
  ok_.push_back(now);
  while (!ok_.empty() && ok_.front() + kWindow < now) ok_.pop_front();
  if (learned_ > 0) {
    // Added per success, so per second about that share of the rate: 20 %/s while only the first
    // guess (made from the host's burst) is known or while well below the best rate the host has
    // served (a sporadic 429 must not drag the rate down for long), else 3 %/s (probing gently where
    // the next 429 is expected).
    double growth = cut_to_ <= 0 || learned_ < 0.8 * best_served_ ? 0.20 : 0.03;
    learned_ += growth;
    if (rps_ > 0) learned_ = std::min(learned_, rps_);
  }
}

void TokenBucket::OnThrottled(SteadyTime now, std::optional<Duration>) {
  std::lock_guard<std::mutex> l(mu_);
  if (cut_once_ && now - last_cut_ < kCutSpacing) return;
  while (!ok_.empty() && ok_.front() + kWindow < now) ok_.pop_front();
  // The rate the host just served: successes over the last window (or since the first success).
  SteadyTime from = std::max(first_ok_, now - kWindow);
  double span = std::clamp(std::chrono::duration<double>(now - from).count(), 0.25, 2.0);
  double served = static_cast<double>(ok_.size()) / span;
  bool reliable = ok_.size() >= kMinSamples;  // a few successes say little about a rate
  // No pacing from a 429 that comes before the host served a measurable rate (the first requests,
  // an overloaded moment): the throttled range waits its Retry-After, the rest go on.
  if (learned_ <= 0 && !reliable) return;
  if (learned_ <= 0) {
    learned_ = 0.9 * served;  // only the host's burst was seen: a rough first guess
  } else {
    // While we were over the limit the host served about its limit (plus its burst). Never more
    // than halve the best rate served lately: 429s that do not come from our rate (overload,
    // sporadic) would otherwise spiral the pace down to nothing.
    double cut = learned_ * 0.9;
    if (reliable) cut = std::min(cut, served * 0.9);
    learned_ = std::max(cut, 0.5 * best_served_);
  }
  // The best rate lately: refreshed by each reliable measurement, fading 10 % per cut otherwise (so
  // a host that lowers its limit for good is followed after a few cuts).
  best_served_ = std::max(reliable ? served : 0.0, 0.9 * best_served_);
  learned_ = std::max(learned_, kMinLearnedRps);
  if (rps_ > 0) learned_ = std::min(learned_, rps_);
  if (cut_once_) cut_to_ = learned_;
  cut_once_ = true;
  last_cut_ = now;
}

double TokenBucket::learned_rps() const {
  std::lock_guard<std::mutex> l(mu_);
  return learned_;
}

Duration TokenBucket::ReserveCap(SteadyTime now) {
  if (rps_ <= 0) return Duration::zero();
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  if (now > last_) {
    double secs = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + secs * rps_);
    last_ = now;
  }
  if (tokens_ < 1) return Seconds((1 - tokens_) / rps_);
  tokens_ -= 1;
  return Duration::zero();
}

}  // namespace ctdl
