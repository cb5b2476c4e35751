#include "sync/rate_limiter.h"

#include <chrono>

namespace ctdl {

Duration TokenBucket::Reserve(SteadyTime now) {
  if (rps_ <= 0) return Duration::zero();
  std::lock_guard<std::mutex> l(mu_);
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  if (now > last_) {
    double secs = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + secs * rps_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return Duration::zero();
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(-tokens_ / rps_));
}

}  // namespace ctdl
