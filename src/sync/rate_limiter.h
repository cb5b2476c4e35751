// Per-host request pacing (--max-rps) and adaptive concurrency (AIMD) for one log's fetchers.
// Thread safety: TokenBucket is thread-safe (shared by every log on one host). Aimd is a plain value;
// the owner locks.
#pragma once

#include <algorithm>
#include <mutex>

#include "base/clock.h"

namespace ctdl {

// A token bucket that hands out reservations: Reserve() returns how long the caller must wait before
// sending (zero when a token is free). rps <= 0 means unlimited. Burst: up to max(1, rps) tokens.
class TokenBucket {
 public:
  explicit TokenBucket(double rps) : rps_(rps), burst_(std::max(1.0, rps)), tokens_(burst_) {}
  Duration Reserve(SteadyTime now);
  double rps() const { return rps_; }

 private:
  std::mutex mu_;
  double rps_;
  double burst_;
  double tokens_;
  bool started_ = false;
  SteadyTime last_{};
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
