#include "sync/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ctdl {
namespace {

using std::chrono::milliseconds;

double Secs(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

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

TEST(TokenBucketTest, FirstThrottleLearnsTheServedRateAndPacesEvenly) {
  TokenBucket b(0);
  SteadyTime t{};
  // 20 successes over one second, then a 429: served 20/s, paced at 90 % of it.
  for (int i = 0; i < 20; ++i) b.OnSuccess(t + milliseconds(50 * i));
  t += milliseconds(1000);
  b.OnThrottled(t);
  EXPECT_NEAR(b.learned_rps(), 0.9 * 20, 1e-9);  // span: first success .. now = 1 s
  double gap = 1.0 / b.learned_rps();
  EXPECT_EQ(b.Reserve(t), Duration::zero());
  EXPECT_NEAR(Secs(b.Reserve(t)), gap, 1e-6);  // no burst: evenly spaced
  EXPECT_NEAR(Secs(b.Reserve(t)), gap, 1e-6);
  EXPECT_EQ(b.Reserve(t + Seconds(gap)), Duration::zero());
}

TEST(TokenBucketTest, OneCutPerTwoSecondsThenMeasuredRate) {
  TokenBucket b(0);
  SteadyTime t{};
  for (int i = 0; i < 10; ++i) b.OnSuccess(t + milliseconds(10 * i));
  t += milliseconds(100);
  b.OnThrottled(t);
  double first = b.learned_rps();
  ASSERT_GT(first, 0);
  b.OnThrottled(t + milliseconds(10));  // replies to the same burst: no second cut
  b.OnThrottled(t + milliseconds(1900));
  EXPECT_EQ(b.learned_rps(), first);
  // Two seconds at 40 successes/s, then a 429: the new rate is below both 90 % of the old rate and
  // 90 % of what was served.
  for (int i = 0; i < 80; ++i) b.OnSuccess(t + milliseconds(25 * i));
  t += milliseconds(2000);
  double before = b.learned_rps();
  b.OnThrottled(t);
  EXPECT_LE(b.learned_rps(), 0.9 * before + 1e-9);
  EXPECT_LE(b.learned_rps(), 0.9 * 40 + 1e-9);
  EXPECT_GT(b.learned_rps(), 30);
}

TEST(TokenBucketTest, GrowsFastAfterTheFirstGuessSlowlyAfterAMeasuredCut) {
  TokenBucket b(0);
  SteadyTime t{};
  for (int i = 0; i < 10; ++i) b.OnSuccess(t + milliseconds(10 * i));
  t += milliseconds(250);
  b.OnThrottled(t);  // first guess from the burst: 0.9 * 10 / 0.25 s = 36/s
  EXPECT_NEAR(b.learned_rps(), 36, 1e-9);
  for (int i = 0; i < 10; ++i) b.OnSuccess(t);
  EXPECT_NEAR(b.learned_rps(), 38, 1e-9);  // +0.2 per success: ~20 %/s
  t += milliseconds(1500);
  for (int i = 0; i < 80; ++i) b.OnSuccess(t + milliseconds(25 * i));
  t += milliseconds(2000);
  double before = b.learned_rps();
  b.OnThrottled(t);  // measured: served 40/s
  double cut = b.learned_rps();
  EXPECT_NEAR(cut, std::min(0.9 * before, 0.9 * 40), 1e-9);
  for (int i = 0; i < 10; ++i) b.OnSuccess(t);
  EXPECT_NEAR(b.learned_rps() - cut, 0.3, 1e-9);  // +0.03 per success: ~3 %/s
}

TEST(TokenBucketTest, NoPacingFromA429BeforeAnyMeasurableRate) {
  TokenBucket b(0);
  SteadyTime t{};
  b.OnSuccess(t);
  b.OnThrottled(t + milliseconds(100));  // one success: says nothing about a rate
  EXPECT_EQ(b.learned_rps(), 0);
  EXPECT_EQ(b.Reserve(t + milliseconds(100)), Duration::zero());
}

TEST(TokenBucketTest, ACutNeverGoesBelowHalfTheBestRateServed) {
  TokenBucket b(0);
  SteadyTime t{};
  for (int i = 0; i < 80; ++i) b.OnSuccess(t + milliseconds(25 * i));
  t += milliseconds(2000);
  b.OnThrottled(t);  // served 40/s: paced at 36
  EXPECT_NEAR(b.learned_rps(), 36, 1e-9);
  // Two seconds later the host served only 10/s (sporadic trouble), then a 429: the cut stops at
  // half the best rate served (20/s), not at 90 % of 10/s.
  for (int i = 0; i < 20; ++i) b.OnSuccess(t + milliseconds(100 * i));
  t += milliseconds(2000);
  b.OnThrottled(t);
  EXPECT_NEAR(b.learned_rps(), 20, 1e-9);
  // Below 80 % of the best rate it grows fast again (+0.2 per success).
  b.OnSuccess(t);
  EXPECT_NEAR(b.learned_rps(), 20.2, 1e-9);
}

TEST(TokenBucketTest, LearnedRateNeverAboveTheUserCapNorBelowTheFloor) {
  TokenBucket capped(5);
  SteadyTime t{};
  for (int i = 0; i < 100; ++i) capped.OnSuccess(t + milliseconds(i));
  t += milliseconds(100);
  capped.OnThrottled(t);
  EXPECT_LE(capped.learned_rps(), 5);
  for (int i = 0; i < 1000; ++i) capped.OnSuccess(t);
  EXPECT_LE(capped.learned_rps(), 5);

  // A host that stops serving: 429 after 429, no success. The pace fades to the floor, not to 0.
  TokenBucket b(0);
  for (int i = 0; i < 10; ++i) b.OnSuccess(t + milliseconds(i));
  b.OnThrottled(t + milliseconds(100));
  EXPECT_GT(b.learned_rps(), 1);
  for (int i = 1; i < 200; ++i) b.OnThrottled(t + std::chrono::seconds(2 * i));
  EXPECT_GE(b.learned_rps(), TokenBucket::kMinLearnedRps);
  EXPECT_LT(b.learned_rps(), 0.1);
}

}  // namespace
}  // namespace ctdl
