// The start of a download from a host with no known rate (StartRamp, Scheduler::Config::start_doubling):
// claims on a schedule doubling in time, the window and the one-probe rule open, until the first
// failure, AIMD reaching the ceiling, or a known pace.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

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
  // rfc6962: a get-entries source whose cap is unknown (its first requests are probes); else tiled.
  Scheduler& Make(Duration doubling, const TokenBucket* pacing = nullptr, bool rfc6962 = true,
                  uint64_t position = 0) {
    if (rfc6962) {
      source = NewRfc6962Source("https://log.example/");
    } else {
      source = NewTiledSource("https://tiles.example/");
      source->SetTreeSize(1000000);
    }
    Scheduler::Config c;
    c.position = position;
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
  void Deliver(const Scheduler::Claim& c, uint64_t got) {
    s->Fetched(c);
    s->Decoded(c, got);
  }

  FakeClock clock;
  std::unique_ptr<LogSource> source;
  std::unique_ptr<Scheduler> s;
};

TEST_F(StartRampSchedulerTest, OneRequestBeforeAnyReplyThenUpToFiveMorePerSuccess) {
  Make(10ms, nullptr, /*rfc6962=*/false);
  Scheduler::Claim a = s->TryClaim().claim.value();
  EXPECT_EQ(s->limit(), 1);  // the host has not answered yet
  clock.Advance(5ms);
  Deliver(a, 256);           // a round trip of 5 ms: 5 more per success
  clock.Advance(1s);         // the schedule no longer holds anything back
  EXPECT_EQ(s->limit(), 6);  // 1 + 5 per success (AIMD alone: 3)
  std::vector<Scheduler::Claim> c;
  while (std::optional<Scheduler::Claim> x = s->TryClaim().claim) c.push_back(*x);
  ASSERT_EQ(c.size(), 6u);
  Deliver(c[0], 256);
  EXPECT_EQ(ClaimAll(), 6);  // 11 in flight
  EXPECT_EQ(s->inflight(), 11);
}

TEST_F(StartRampSchedulerTest, AFarHostGrowsAsAimdDoes) {
  for (auto [rtt, window] : {std::pair{20ms, 6}, {30ms, 5}, {40ms, 4}, {60ms, 3}, {80ms, 2}, {200ms, 2}}) {
    Make(10ms, nullptr, /*rfc6962=*/false);
    Scheduler::Claim a = s->TryClaim().claim.value();
    clock.Advance(rtt);
    Deliver(a, 256);
    EXPECT_EQ(s->limit(), window) << "round trip " << rtt.count() << " ms";  // 1 + 120 ms / rtt (1..5)
  }
}

TEST_F(StartRampSchedulerTest, ClaimsFollowAScheduleDoublingInTime) {
  Make(10ms, nullptr, /*rfc6962=*/false);
  // Every reply comes back at once, so only the schedule holds claims back: 2^k by k doublings.
  auto claim_and_deliver_all = [&] {
    int n = 0;
    while (std::optional<Scheduler::Claim> x = s->TryClaim().claim) {
      Deliver(*x, 256);
      ++n;
    }
    return n;
  };
  int claimed = claim_and_deliver_all();
  EXPECT_EQ(claimed, 1);
  Scheduler::Attempt wait = s->TryClaim();
  ASSERT_TRUE(wait.ready_at);  // not "wait for a report": the schedule's next slot
  EXPECT_EQ(*wait.ready_at, clock.Now() + 10ms);
  for (int k = 1; k <= 5; ++k) {
    clock.Advance(10ms);
    claimed += claim_and_deliver_all();
    EXPECT_EQ(claimed, 1 << k) << "after " << k << " doublings";
  }
  // Next() sleeps on the clock for the next slot.
  Duration slept = clock.TotalSlept();
  EXPECT_TRUE(s->Next());
  EXPECT_GT(clock.TotalSlept() - slept, Duration::zero());
}

TEST_F(StartRampSchedulerTest, CapProbesAreNotOneAtATime) {
  Make(10ms, nullptr, /*rfc6962=*/true, /*position=*/100);
  Scheduler::Claim probe = s->TryClaim().claim.value();
  EXPECT_TRUE(probe.probe);
  Deliver(probe, 156);  // short and not on a multiple of 156: the cap is still unknown
  clock.Advance(1s);
  int probes = 0;
  while (std::optional<Scheduler::Claim> x = s->TryClaim().claim) probes += x->probe;
  EXPECT_EQ(probes, 6);  // the window (1 + 5 per success), all probes at once (without the ramp: one)
}

TEST_F(StartRampSchedulerTest, TheFirstFailureEndsTheRampAndAimdApplies) {
  Make(10ms, nullptr, /*rfc6962=*/false);
  Scheduler::Claim a = s->TryClaim().claim.value();
  Deliver(a, 256);  // AIMD 3, ramp window 4
  clock.Advance(20ms);
  Scheduler::Claim b = s->TryClaim().claim.value();
  EXPECT_EQ(ClaimAll(), 2);
  EXPECT_EQ(s->inflight(), 3);
  s->Failed(b, Failure::kThrottled, 1ms);  // a 429: the ramp is over, AIMD halves 3 -> 1
  EXPECT_EQ(s->limit(), 1);
  clock.Advance(1s);
  EXPECT_EQ(ClaimAll(), 0);  // 2 still in flight
}

TEST_F(StartRampSchedulerTest, EndsWhenAimdReachesTheCeiling) {
  Make(10ms);
  int decoded = 0;
  while (decoded < 62) {  // each reply comes back at once: AIMD grows from 2 by one per reply
    clock.Advance(1ms);
    while (decoded < 62) {
      std::optional<Scheduler::Claim> c = s->TryClaim().claim;
      if (!c) break;
      Deliver(*c, 32);
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
