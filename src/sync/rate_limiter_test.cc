#include "sync/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ctdl {
namespace {

using std::chrono::milliseconds;

double Secs(Duration d) { return std::chrono::duration<double>(d).count(); }

// First contact with an unknown host: five requests 1 ms apart from 5 s on, each granted at once
// and answered 200 (the host's burst). *t: the time of the first.
void SpendAnUnknownHostsBurst(TokenBucket& b, SteadyTime* t) {
  *t = SteadyTime{} + std::chrono::seconds(5);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(b.Reserve(*t + milliseconds(i)), Duration::zero());
    b.OnSuccess(*t + milliseconds(i));
  }
}

TEST(TokenBucketTest, UnlimitedUntilThrottled) {
  TokenBucket b(0);
  SteadyTime t{};
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(b.Reserve(t), Duration::zero());
    b.OnSuccess(t);
    t += milliseconds(1);
  }
  EXPECT_EQ(b.learned_rps(), 0);
}

TEST(TokenBucketTest, UserCapPacesWithBurst) {
  TokenBucket b(10);  // burst 10
  SteadyTime t{};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.Reserve(t), Duration::zero());
  EXPECT_NEAR(Secs(b.Reserve(t)), 0.1, 1e-6);  // nothing taken: asking again says the same
  EXPECT_NEAR(Secs(b.Reserve(t)), 0.1, 1e-6);
  EXPECT_EQ(b.Reserve(t + milliseconds(100)), Duration::zero());
}

TEST(TokenBucketTest, AKnownRateIsPacedFromTheFirstRequest) {
  TokenBucket b(0, {20, 5, true});
  SteadyTime t{};
  double gap = 1 / (TokenBucket::kHoldGain * 20);
  EXPECT_EQ(b.Reserve(t), Duration::zero());
  EXPECT_NEAR(Secs(b.Reserve(t)), gap, 1e-6);
  EXPECT_EQ(b.learnt().rps, 20);
}

TEST(TokenBucketTest, TheUserCeilingWinsOverWhatWasLearnt) {
  TokenBucket b(5, {100, 10, true});
  EXPECT_NEAR(b.learned_rps(), 5, 1e-9);
  SteadyTime t{};
  int sent = 0;
  for (int ms = 0; ms < 10000; ++ms, t += milliseconds(1))
    if (b.Reserve(t) == Duration::zero()) ++sent;
  EXPECT_LE(sent, 5 * 10 + 5);  // burst max(1, 5) plus 5/s
}

TEST(TokenBucketTest, InFlight429sAreOldNews) {
  TokenBucket b(0);
  SteadyTime t{};
  for (int i = 0; i < 5; ++i) b.OnSuccess(t + milliseconds(i));
  (void)b.Reserve(t + milliseconds(20));  // the pacer's "now"
  b.OnThrottled(t + milliseconds(10), std::chrono::seconds(1));
  double pace = b.learned_rps();
  ASSERT_GT(pace, 0);
  // Sent before the reaction (they were in flight): no second cut.
  for (int i = 0; i < 5; ++i) b.OnThrottled(t + milliseconds(11 + i), std::chrono::seconds(1));
  EXPECT_EQ(b.learned_rps(), pace);
  // Sent after it (granted a slot under the new pace), with no success since: the search backs off.
  SteadyTime slot = t + milliseconds(30);
  for (Duration w; (w = b.Reserve(slot)) > Duration::zero();) slot += w;
  b.OnThrottled(slot, std::chrono::seconds(1));
  EXPECT_LT(b.learned_rps(), pace);
}

// Replies recorded from a download that stalled: 24 fast 200s, then 429s at random (a faulty host,
// not a rate limit). A full bucket of 25 at ~0.01 req/s "explains" that history, but one 429 must
// never cut the pace by more than half (it had gone from 115 to 0.01 req/s: one request per 100 s).
TEST(TokenBucketTest, OneThrottleCutsAtMostByHalf) {
  TokenBucket b(0);
  SteadyTime t{};
  const double kOk[] = {0,      0.0027, 0.0482, 0.0483, 0.0908, 0.0912, 0.0921, 0.0922,
                        0.0932, 0.0943, 0.0947, 0.0973, 0.0973, 0.0992, 0.0992, 0.1005,
                        0.1023, 0.1024, 0.1028, 0.1075, 0.3632, 0.3737, 0.3742, 0.3756};
  auto at = [&](double s) { return t + std::chrono::microseconds(static_cast<int64_t>(s * 1e6)); };
  for (double s : kOk) b.OnSuccess(at(s));
  struct Reply {
    double sent;
    bool ok;
  };
  const Reply kThen[] = {{0.4186, false}, {0.4415, true},  {0.4514, true},
                         {0.4836, false}, {0.4979, false}, {0.7739, true}, {1.4191, false}};
  double pace = 0;
  for (const Reply& r : kThen) {
    if (r.ok) {
      b.OnSuccess(at(r.sent));
      continue;
    }
    b.OnThrottled(at(r.sent), std::chrono::seconds(1));
    double now = b.learned_rps();
    if (pace > 0) {
      EXPECT_GE(now, 0.45 * pace) << "throttled at " << r.sent << " s";
    }
    pace = now;
  }
  EXPECT_GE(b.learned_rps(), 1.0);
}

TEST(TokenBucketTest, WithoutRetryAfterTheWholeHostPausesLongerEachTime) {
  TokenBucket b(0);
  SteadyTime t{};
  for (int i = 0; i < 3; ++i) b.OnSuccess(t);
  b.OnThrottled(t + milliseconds(1));  // no Retry-After
  EXPECT_GE(b.Reserve(t + milliseconds(2)), milliseconds(990));
  SteadyTime later = t + std::chrono::seconds(2);
  (void)b.Reserve(later);
  b.OnThrottled(later + milliseconds(1));  // again, no success between: 2 s
  EXPECT_GE(b.Reserve(later + milliseconds(2)), milliseconds(1990));
  EXPECT_FALSE(b.learnt().retry_after);
}

// After the first 429 the host's bucket is empty: the search's first slot is one interval of its
// pace after that 429, and two fetchers asking at that moment do not both go (before: the schedule
// began in the past, so the first two requests of the search went out back to back into the empty
// bucket, two more 429s in every real run).
TEST(TokenBucketTest, TheSearchStartsOneIntervalAfterThe429) {
  TokenBucket b(0);
  SteadyTime t;
  ASSERT_NO_FATAL_FAILURE(SpendAnUnknownHostsBurst(b, &t));
  SteadyTime now = t + milliseconds(20);
  (void)b.Reserve(now);
  b.OnThrottled(t + milliseconds(10), std::chrono::seconds(1));
  double pace = b.learned_rps();
  ASSERT_GT(pace, 0);
  Duration wait = b.Reserve(now);
  EXPECT_NEAR(Secs(wait), 1 / pace, 0.2 / pace);
  SteadyTime slot = now + wait;
  EXPECT_EQ(b.Reserve(slot), Duration::zero());
  EXPECT_GT(b.Reserve(slot), Duration::zero());  // the second fetcher waits for the next slot
}

// The same after a cut in hold: a schedule that was running late (fetchers woken late may catch up
// one interval) does not let the next request go at once into the bucket that just said 429.
TEST(TokenBucketTest, ACutInHoldRestartsTheSchedule) {
  TokenBucket b(0, {20, 5, true});
  SteadyTime t{};
  t += std::chrono::seconds(5);
  for (int i = 0; i < 40; ++i) {  // 2 s at the known pace, each a success
    for (Duration w; (w = b.Reserve(t)) > Duration::zero();) t += w;
    b.OnSuccess(t);
  }
  t += milliseconds(200);  // the fetchers come late: catching up would grant a slot at once
  (void)b.Reserve(t);      // ... one went out now, and another is about to ask
  b.OnThrottled(t - milliseconds(1), std::chrono::seconds(1));
  double pace = b.learned_rps();
  ASSERT_GT(pace, 0);
  EXPECT_NEAR(Secs(b.Reserve(t)), 1 / pace, 0.2 / pace);
}

// A host at its steady limit, paced by the pacer alone for 120 s: once the refits confirm the rate,
// the probe slows for 30 s at a time, so the probing 429s come about every half minute instead of
// every ~5 s (1 %/s from 95 % crosses the rate in ~5 s), at no cost in throughput.
TEST(TokenBucketTest, AConfirmedRateIsProbedMoreSlowly) {
  TokenBucket b(0, {20, 5, true});
  SteadyTime t{};
  t += std::chrono::seconds(5);
  const SteadyTime start = t;
  double tokens = 5;  // the host: 20 req/s, burst 5
  SteadyTime refill = t;
  int ok_late = 0, throttled_late = 0, throttled = 0;
  for (; t < start + std::chrono::seconds(120); t += milliseconds(1)) {
    if (b.Reserve(t) != Duration::zero()) continue;
    tokens = std::min(5.0, tokens + Secs(t - refill) * 20);
    refill = t;
    bool late = t >= start + std::chrono::seconds(60);
    if (tokens >= 1) {
      tokens -= 1;
      b.OnSuccess(t);
      ok_late += late;
    } else {
      b.OnThrottled(t, std::chrono::seconds(1));
      ++throttled;
      throttled_late += late;
    }
  }
  EXPECT_GE(throttled, 1);  // it did probe
  EXPECT_LE(throttled_late, 4);  // 1 %/s all along: ~10 in the last 60 s
  EXPECT_GE(ok_late, 0.92 * 20 * 60);
}

// The request a fetcher was granted just before the first 429 came back can read its send time a
// moment after the pacer reacted; it was still sent blind. Until the pacer grants a slot under the
// new pace, every 429 is old news: no second cut (before: the search began at half its pace, and
// needed a second longer to find the rate).
TEST(TokenBucketTest, A429BeforeTheFirstNewSlotIsOldNews) {
  TokenBucket b(0);
  SteadyTime t;
  ASSERT_NO_FATAL_FAILURE(SpendAnUnknownHostsBurst(b, &t));
  ASSERT_EQ(b.Reserve(t + milliseconds(10)), Duration::zero());  // granted, still unpaced
  b.OnThrottled(t + milliseconds(8), std::chrono::seconds(1));    // the first 429 comes back
  double pace = b.learned_rps();
  ASSERT_GT(pace, 0);
  // The request granted at 10 ms read its clock at 11 ms, after the reaction, and is answered 429.
  b.OnThrottled(t + milliseconds(11), std::chrono::seconds(1));
  EXPECT_EQ(b.learned_rps(), pace);
  // A request sent under the new pace that is answered 429 does cut.
  SteadyTime slot = t + milliseconds(11);
  for (Duration w; (w = b.Reserve(slot)) > Duration::zero();) slot += w;
  b.OnThrottled(slot, std::chrono::seconds(1));
  EXPECT_LT(b.learned_rps(), pace);
}

}  // namespace
}  // namespace ctdl
