// The start of a download from a host with no known rate (StartRamp, Scheduler::Config::start_doubling):
// claims on a schedule doubling in time, the window and the one-probe rule open, until the first
// failure, AIMD reaching the ceiling, or a known pace.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "sync/rate_limiter.h"
#include "sync/scheduler.h"

namespace ctdl {
namespace {

using namespace std::chrono_literals;
using Failure = Scheduler::Failure;

TEST(StartRamp, TheNthClaimWaitsForLog2NDoublings) {
  StartRamp ramp(10ms);
  const SteadyTime t0 = SteadyTime{} + 1s;
  EXPECT_FALSE(ramp.NextAt(t0));  // the first claim: at once
  ramp.Claimed(t0);
  ASSERT_TRUE(ramp.NextAt(t0));
  EXPECT_EQ(*ramp.NextAt(t0), t0 + 10ms);  // the 2nd after one doubling
  ramp.Claimed(t0 + 10ms);
  // The 3rd at 10 ms * log2(3) = 15.85 ms, the 4th at 20 ms.
  EXPECT_GT(*ramp.NextAt(t0 + 10ms), t0 + 15ms);
  EXPECT_LT(*ramp.NextAt(t0 + 10ms), t0 + 16ms);
  EXPECT_FALSE(ramp.NextAt(t0 + 16ms));
  ramp.Claimed(t0 + 16ms);
  EXPECT_EQ(*ramp.NextAt(t0 + 16ms), t0 + 20ms);
  ramp.End();
  EXPECT_FALSE(ramp.NextAt(t0 + 16ms));  // off: no schedule
  EXPECT_FALSE(StartRamp(Duration::zero()).on());
}

class StartRampSchedulerTest : public ::testing::Test {
 protected:
  Scheduler& Make(Duration doubling, const TokenBucket* pacing = nullptr) {
    source = NewRfc6962Source("https://log.example/");  // cap unknown: its requests are probes
    Scheduler::Config c;
    c.position = 0;
    c.target = 200000;
    c.initial_inflight = 2;
    c.max_inflight = 64;
    c.window_entries = 200000;
    c.poll = std::chrono::milliseconds(1);
    c.start_doubling = doubling;
    s = std::make_unique<Scheduler>(c, source.get(), &clock, pacing, [] { return false; });
    return *s;
  }
  // Claims everything claimable now.
  int ClaimAll() {
    int n = 0;
    while (s->TryClaim().claim) ++n;
    return n;
  }

  FakeClock clock;
  std::unique_ptr<LogSource> source;
  std::unique_ptr<Scheduler> s;
};

TEST_F(StartRampSchedulerTest, ClaimsDoubleInTimeBeyondAimdAndProbesAreNotOneAtATime) {
  Make(10ms);
  EXPECT_EQ(s->limit(), 64);  // the window is open while ramping
  Scheduler::Attempt first = s->TryClaim();
  ASSERT_TRUE(first.claim);
  EXPECT_TRUE(first.claim->probe);
  Scheduler::Attempt wait = s->TryClaim();
  EXPECT_FALSE(wait.claim);
  ASSERT_TRUE(wait.ready_at);  // not "wait for a report": the schedule's next slot
  EXPECT_EQ(*wait.ready_at, clock.Now() + 10ms);
  int claimed = 1;
  for (int k = 1; k <= 5; ++k) {  // no reply comes back; by k doublings 2^k claims were made
    clock.Advance(10ms);
    claimed += ClaimAll();
    EXPECT_EQ(claimed, 1 << k) << "after " << k << " doublings";
  }
  EXPECT_EQ(s->inflight(), 32);  // far beyond AIMD's 2, and several probes at once
  // Next() sleeps on the clock for the next slot.
  Duration slept = clock.TotalSlept();
  EXPECT_TRUE(s->Next());
  EXPECT_GT(clock.TotalSlept() - slept, Duration::zero());
}

TEST_F(StartRampSchedulerTest, TheFirstFailureEndsTheRampAimdAndTheLoneProbeRuleApply) {
  Make(10ms);
  Scheduler::Claim a = s->TryClaim().claim.value();
  clock.Advance(20ms);
  EXPECT_EQ(ClaimAll(), 3);
  EXPECT_EQ(s->inflight(), 4);
  s->Failed(a, Failure::kThrottled, 1ms);  // a 429: AIMD halves 2 -> 1, the ramp is over
  EXPECT_EQ(s->limit(), 1);
  clock.Advance(1s);
  EXPECT_EQ(ClaimAll(), 0);  // 3 still in flight, and probes are one at a time again
}

TEST_F(StartRampSchedulerTest, EndsWhenAimdReachesTheCeiling) {
  Make(10ms);
  int decoded = 0;
  while (decoded < 62) {  // each reply comes back at once: AIMD grows from 2 by one per reply
    clock.Advance(1ms);
    while (decoded < 62) {
      std::optional<Scheduler::Claim> c = s->TryClaim().claim;
      if (!c) break;
      s->Fetched(*c);
      s->Decoded(*c, 32);
      ++decoded;
    }
  }
  // AIMD is at the ceiling: the ramp is over and its schedule no longer holds claims back (on, it
  // would let out about one more by now).
  EXPECT_EQ(ClaimAll(), 64);
}

TEST_F(StartRampSchedulerTest, AHostWithAKnownRateStartsAsBefore) {
  LearntRate known;
  known.rps = 20;  // a restart's stored rate
  TokenBucket bucket(0, known);
  Make(10ms, &bucket);
  EXPECT_TRUE(s->TryClaim().claim);
  clock.Advance(1s);
  EXPECT_EQ(ClaimAll(), 0);  // the probe is alone
  EXPECT_EQ(s->limit(), 2);  // AIMD's start
}

TEST_F(StartRampSchedulerTest, OffByDefault) {
  Make(Duration::zero());
  EXPECT_EQ(s->limit(), 2);
  EXPECT_TRUE(s->TryClaim().claim);
  EXPECT_EQ(ClaimAll(), 0);  // the probe alone
}

}  // namespace
}  // namespace ctdl
