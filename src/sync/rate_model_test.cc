#include "sync/rate_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <random>

namespace ctdl {
namespace {

using std::chrono::microseconds;

// `n` requests about `gap_us` apart (+-50 %, like fetchers finishing at their own pace) against an
// exact bucket (rate r, size b, full at start unless `tokens` says otherwise).
std::vector<RateEvent> Against(double r, double b, int gap_us, int n, double tokens = -1) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> gap(gap_us / 2, gap_us * 3 / 2);
  std::vector<RateEvent> ev;
  double tok = tokens < 0 ? b : tokens;
  SteadyTime t{};
  for (int i = 0; i < n; ++i) {
    int g = gap(rng);
    if (i) tok = std::min(b, tok + g * 1e-6 * r);
    if (i) t += microseconds(g);
    bool ok = tok >= 1;
    if (ok) tok -= 1;
    ev.push_back({t, ok});
  }
  return ev;
}

TEST(RateModelTest, FindsRateAndBurstOfAnExactBucket) {
  struct Case {
    double r, b;
    int gap_us;
  };
  for (Case c : {Case{5, 2, 150000}, Case{20, 5, 40000}, Case{75, 10, 10000}, Case{0.5, 1, 1500000}}) {
    SCOPED_TRACE(c.r);
    RateFit f = FitTokenBucket(Against(c.r, c.b, c.gap_us, 120), true);
    ASSERT_TRUE(f.ok);
    EXPECT_LE(f.rps, c.r * 1.03);
    EXPECT_GE(f.rps_high, c.r * 0.97);
    EXPECT_GE(f.rps, c.r * 0.9);
    EXPECT_NEAR(f.burst, c.b, 0.35 * c.b);
  }
}

TEST(RateModelTest, SeesThroughTokensLostWhileBelowTheRate) {
  // 10 s at half the rate (the bucket stays full, tokens are lost), then twice the rate: successes
  // per second between the first and last 429 alone would say much less than 20.
  std::vector<RateEvent> ev = Against(20, 5, 100000, 100);
  std::vector<RateEvent> fast = Against(20, 5, 25000, 200, 5);
  for (RateEvent e : fast) ev.push_back({e.sent + std::chrono::seconds(10), e.ok});
  RateFit f = FitTokenBucket(ev, true);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(std::sqrt(f.rps * f.rps_high), 20, 1.0);
}

TEST(RateModelTest, NeedsA429AndSomeSuccessesAfterIt) {
  EXPECT_FALSE(FitTokenBucket(Against(1000, 1000, 1000, 50), true).ok);  // never throttled
  std::vector<RateEvent> ev = {{SteadyTime{}, true}, {SteadyTime{} + microseconds(1), false}};
  EXPECT_FALSE(FitTokenBucket(ev, true).ok);
  EXPECT_FALSE(FitTokenBucket({}, true).ok);
}

}  // namespace
}  // namespace ctdl
