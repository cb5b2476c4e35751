#include "sync/pacer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace ctdl {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A server with a token bucket (like ctdl-testlog --rate R --burst B): a request without a token is
// answered 429 and takes none.
struct FakeBucketServer {
  double rate, burst, tokens;
  SteadyTime last{};
  bool Take(SteadyTime now) {
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

struct SimResult {
  double ok_per_sec_late = 0;  // successes/s after the warm-up
  int requests = 0, throttled = 0;
};

// Drives a Pacer against the fake server on a FakeClock in 1 ms steps: up to `inflight` requests at
// a time, each answered after `latency`. With `aimd`, the concurrency starts at 2 and grows by one per
// success and halves per 429 (as LogDownload's Aimd does), up to `inflight`.
SimResult Simulate(double rate, double burst, Duration total, Duration warmup, int inflight = 8,
                   Duration latency = milliseconds(5), bool aimd = false) {
  FakeClock clock;
  Pacer pacer;
  FakeBucketServer server{rate, burst, burst, clock.Now()};
  struct Flight {
    SteadyTime sent, due;
    bool ok;
  };
  std::vector<Flight> flights;
  SimResult r;
  int late_ok = 0;
  double limit = aimd ? 2 : inflight;
  SteadyTime start = clock.Now();
  while (clock.Now() - start < total) {
    SteadyTime now = clock.Now();
    for (size_t i = 0; i < flights.size();) {
      if (flights[i].due > now) {
        ++i;
        continue;
      }
      if (flights[i].ok) {
        pacer.OnSuccess(now);
        if (now - start >= warmup) ++late_ok;
        if (aimd) limit = std::min<double>(inflight, limit + 1);
      } else {
        pacer.OnThrottled(flights[i].sent, now, seconds(1));
        if (aimd) limit = std::max(1.0, limit / 2);
      }
      flights.erase(flights.begin() + i);
    }
    while (static_cast<int>(flights.size()) < static_cast<int>(limit) &&
           pacer.Acquire(now) == Duration::zero()) {
      bool ok = server.Take(now);
      ++r.requests;
      if (!ok) ++r.throttled;
      flights.push_back({now, now + latency, ok});
    }
    clock.Advance(milliseconds(1));
  }
  r.ok_per_sec_late = late_ok / std::chrono::duration<double>(total - warmup).count();
  return r;
}

TEST(PacerTest, UnlimitedUntilTheFirstThrottle) {
  Pacer p;
  SteadyTime t{};
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(p.Acquire(t), Duration::zero());
  EXPECT_EQ(p.rate(), 0);
}

TEST(PacerTest, ConvergesUnderATokenBucket) {
  for (double rate : {10.0, 40.0, 200.0}) {
    SCOPED_TRACE(rate);
    SimResult r = Simulate(rate, 10, seconds(60), seconds(5));
    std::printf("rate %.0f: %.1f ok/s after 5 s (%.0f%%), %d of %d requests throttled (%.1f%%)\n", rate,
                r.ok_per_sec_late, 100 * r.ok_per_sec_late / rate, r.throttled, r.requests,
                100.0 * r.throttled / r.requests);
    EXPECT_GE(r.ok_per_sec_late, 0.9 * rate);
    EXPECT_LE(r.ok_per_sec_late, 1.01 * rate + 0.2);  // the server can't give more
    EXPECT_LE(r.throttled, 0.05 * r.requests);
  }
}

TEST(PacerTest, ConvergesWithHighLatencyAndManyInFlight) {
  // Like a real log far away: 150 ms per request, up to 64 in flight, concurrency ramping up.
  for (double rate : {10.0, 40.0, 200.0}) {
    SCOPED_TRACE(rate);
    SimResult r = Simulate(rate, 10, seconds(30), seconds(5), 64, milliseconds(150), true);
    std::printf("rate %.0f, 150 ms: %.1f ok/s after 5 s (%.0f%%), %d of %d requests throttled\n", rate,
                r.ok_per_sec_late, 100 * r.ok_per_sec_late / rate, r.throttled, r.requests);
    EXPECT_GE(r.ok_per_sec_late, 0.9 * rate);
    EXPECT_LE(r.throttled, 0.05 * r.requests);
  }
}

TEST(PacerTest, BacksOffOnThrottleToTheMeasuredRate) {
  Pacer p;
  SteadyTime t{};
  for (int i = 0; i < 100; ++i) {  // 100 successes/s for a second
    ASSERT_EQ(p.Acquire(t), Duration::zero());
    t += milliseconds(10);
    p.OnSuccess(t);
  }
  p.OnThrottled(t, t, std::nullopt);
  EXPECT_NEAR(p.rate(), 90, 1.5);  // 0.9 x the measured success rate
  // Requests are now spaced ~1/90 s apart; the first waits one gap after the throttle.
  Duration wait = p.Acquire(t);
  EXPECT_GT(wait, milliseconds(10));
  EXPECT_LT(wait, milliseconds(12));
  t += wait;
  EXPECT_EQ(p.Acquire(t), Duration::zero());
  EXPECT_GT(p.Acquire(t), milliseconds(10));
}

TEST(PacerTest, ThrottleOfARequestSentBeforeTheDecreaseIsNoNews) {
  Pacer p;
  SteadyTime t{};
  for (int i = 0; i < 50; ++i) {
    t += milliseconds(20);
    p.OnSuccess(t);
  }
  SteadyTime sent_early = t;
  t += milliseconds(5);
  p.OnThrottled(sent_early, t, seconds(1));
  double after_first = p.rate();
  EXPECT_GT(after_first, 0);
  for (int i = 0; i < 5; ++i) p.OnThrottled(sent_early, t + milliseconds(i), seconds(1));
  EXPECT_EQ(p.rate(), after_first);
  EXPECT_EQ(p.paused_until(), SteadyTime{});  // no pause either: those were not paced
}

TEST(PacerTest, SlowStartThenAdditiveIncrease) {
  Pacer p;
  SteadyTime t{};
  for (int i = 0; i < 10; ++i) p.OnSuccess(t += milliseconds(100));  // 10/s
  p.OnThrottled(t, t, std::nullopt);
  EXPECT_NEAR(p.rate(), 9, 0.01);
  EXPECT_TRUE(p.slow_start());
  // Successes at the paced rate for a second: the rate roughly doubles (bounded by 2x measured + 1).
  for (int i = 0; i < 20; ++i) p.OnSuccess(t += milliseconds(50));
  EXPECT_GT(p.rate(), 15);
  EXPECT_LE(p.rate(), 2 * 20 + 1);
  p.OnThrottled(t, t, std::nullopt);
  EXPECT_FALSE(p.slow_start());
  double r0 = p.rate();
  EXPECT_NEAR(r0, 18, 0.01);  // 0.9 x 20 successes in the last second
  // Congestion avoidance: + max(0.1, 2.5% of the rate) per second (~0.45-0.5/s here).
  for (int i = 0; i < 180; ++i) p.OnSuccess(t += milliseconds(1000 / 18));
  EXPECT_NEAR(p.rate(), r0 + 10 * 0.025 * 19, 0.6);
}

TEST(PacerTest, AStallDoesNotLowerTheRate) {
  // Few successes (say the committer waits for a range that waits its Retry-After) must not drag
  // the rate down: only throttles lower it.
  Pacer p;
  SteadyTime t{};
  for (int i = 0; i < 40; ++i) p.OnSuccess(t += milliseconds(25));
  p.OnThrottled(t, t, std::nullopt);
  double r0 = p.rate();
  p.OnSuccess(t += seconds(10));
  EXPECT_GE(p.rate(), r0);
  EXPECT_LE(p.rate(), 2 * 2 + 1 + r0);  // and it grew no further than the successes justify
}

TEST(PacerTest, ConsecutivePacedThrottlesPauseForRetryAfter) {
  Pacer p;
  SteadyTime t{};
  for (int i = 0; i < 20; ++i) p.OnSuccess(t += milliseconds(50));
  // Each throttle is of a request sent after the previous decrease.
  p.OnThrottled(t, t, seconds(30));
  EXPECT_EQ(p.paused_until(), SteadyTime{});  // one throttle: only that request waits
  t += seconds(1);
  p.OnThrottled(t, t, seconds(30));
  EXPECT_EQ(p.paused_until(), SteadyTime{});
  t += seconds(1);
  p.OnThrottled(t, t, seconds(30));
  EXPECT_EQ(p.paused_until(), t + seconds(30));  // the server means it: everyone waits
  EXPECT_GE(p.Acquire(t + seconds(29)), seconds(1));
  EXPECT_EQ(p.Acquire(t + seconds(30) + seconds(5)), Duration::zero());
}

TEST(PacerTest, ASuccessResetsTheConsecutiveCount) {
  Pacer p;
  SteadyTime t{};
  for (int round = 0; round < 5; ++round) {
    t += seconds(1);
    p.OnThrottled(t, t, seconds(30));
    t += seconds(1);
    p.OnThrottled(t, t, seconds(30));
    p.OnSuccess(t += milliseconds(1));
  }
  EXPECT_EQ(p.paused_until(), SteadyTime{});
  EXPECT_GE(p.rate(), 0.2);  // never below the floor
}

}  // namespace
}  // namespace ctdl
