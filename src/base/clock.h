// Clock is injected wherever time matters (backoff, rate limits, progress) so tests run instantly.
// Thread safety: RealClock is thread-safe; FakeClock is thread-safe (mutex) and never blocks.
#pragma once

#include <chrono>
#include <mutex>

namespace ctdl {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime Now() const = 0;       // monotonic, for intervals
  virtual WallTime WallNow() const = 0;     // wall clock, for HTTP-date and timestamps
  virtual void SleepFor(Duration d) = 0;    // FakeClock advances instead of sleeping
};

// The process-wide real clock (never null, never freed).
Clock* RealClock();

class FakeClock : public Clock {
 public:
  explicit FakeClock(WallTime wall_start = WallTime(std::chrono::seconds(1700000000)))
      : wall_(wall_start) {}
  SteadyTime Now() const override;
  WallTime WallNow() const override;
  void SleepFor(Duration d) override { Advance(d); }
  void Advance(Duration d);
  Duration TotalSlept() const;

 private:
  mutable std::mutex mu_;
  SteadyTime steady_{};
  WallTime wall_;
  Duration slept_{0};
};

}  // namespace ctdl
