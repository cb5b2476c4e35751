#include "base/clock.h"

#include <thread>

namespace ctdl {
namespace {
class RealClockImpl : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  void SleepFor(Duration d) override { std::this_thread::sleep_for(d); }
};
}  // namespace

Clock* RealClock() {
  static RealClockImpl* clock = new RealClockImpl();
  return clock;
}

SteadyTime FakeClock::Now() const {
  std::lock_guard<std::mutex> l(mu_);
  return steady_;
}
WallTime FakeClock::WallNow() const {
  std::lock_guard<std::mutex> l(mu_);
  return wall_;
}
void FakeClock::Advance(Duration d) {
  std::lock_guard<std::mutex> l(mu_);
  steady_ += d;
  wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  slept_ += d;
}
Duration FakeClock::TotalSlept() const {
  std::lock_guard<std::mutex> l(mu_);
  return slept_;
}

}  // namespace ctdl
