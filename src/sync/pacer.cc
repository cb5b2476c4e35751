#include "sync/pacer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ctdl {
namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace

double Pacer::Measured(SteadyTime now) {
  while (!successes_.empty() && successes_.front() <= now - t_.window) successes_.pop_front();
  return static_cast<double>(successes_.size()) / Seconds(t_.window);
}

void Pacer::Grow(SteadyTime now) {
  if (rate_ <= 0 || now <= last_grow_) {
    if (rate_ <= 0) last_grow_ = now;
    return;
  }
  double dt = Seconds(now - last_grow_);
  last_grow_ = now;
  double grown = slow_start_ ? rate_ * std::pow(t_.slow_start_per_sec, dt)
                             : rate_ + std::max(t_.min_increase, t_.increase_fraction * rate_) * dt;
  // Growth only means something while the rate is what limits: not past twice what actually
  // succeeds (when concurrency, latency or a stalled window limit, the rate would otherwise grow
  // unbounded). Growth never lowers the rate: only throttles do.
  rate_ = std::max(rate_, std::min(grown, 2 * Measured(now) + 1));
}

Duration Pacer::Acquire(SteadyTime now) {
  std::lock_guard<std::mutex> l(mu_);
  if (now < paused_until_) return paused_until_ - now;
  if (rate_ <= 0) return Duration::zero();
  Duration gap = FromSeconds(1 / rate_);
  SteadyTime slot = std::max(next_, now - gap);  // at most one slot of catch-up after a lull
  if (slot <= now) {
    next_ = slot + gap;
    return Duration::zero();
  }
  return slot - now;
}

void Pacer::OnSuccess(SteadyTime now) {
  std::lock_guard<std::mutex> l(mu_);
  successes_.push_back(now);
  consecutive_ = 0;
  Grow(now);
}

void Pacer::OnThrottled(SteadyTime sent, SteadyTime now, std::optional<Duration> retry_after) {
  std::lock_guard<std::mutex> l(mu_);
  if (decreases_ > 0 && sent < last_decrease_) return;  // sent before the last decrease: no news
  if (retry_after && ++consecutive_ >= t_.pause_after_consecutive) {
    paused_until_ = std::max(paused_until_, now + *retry_after);
    consecutive_ = 0;
  }
  Grow(now);
  double target = std::max(t_.min_rate, t_.decrease * Measured(now));
  rate_ = rate_ <= 0 ? target : std::min(rate_, target);
  ++decreases_;
  if (decreases_ >= 2) slow_start_ = false;
  last_decrease_ = now;
  last_grow_ = now;
  // The server's bucket is empty now: the next send waits one gap.
  next_ = std::max(next_, now + FromSeconds(1 / rate_));
}

double Pacer::rate() const {
  std::lock_guard<std::mutex> l(mu_);
  return rate_;
}

bool Pacer::slow_start() const {
  std::lock_guard<std::mutex> l(mu_);
  return slow_start_;
}

SteadyTime Pacer::paused_until() const {
  std::lock_guard<std::mutex> l(mu_);
  return paused_until_;
}

}  // namespace ctdl
