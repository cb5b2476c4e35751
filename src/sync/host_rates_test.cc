#include "sync/host_rates.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/memory_state_store.h"

namespace ctdl {
namespace {

TEST(HostBucketsTest, HostKeyIsLowerCaseHostAndPort) {
  EXPECT_EQ(RateHostKey("https://CT.Example.com/logs/a/"), "ct.example.com");
  EXPECT_EQ(RateHostKey("http://127.0.0.1:8080/x/"), "127.0.0.1:8080");
}

TEST(HostBucketsTest, StartsAtTheStoredRateOfTheHostOrOfItsOperator) {
  auto store = NewMemoryStateStore();
  ASSERT_TRUE(store->PutHostRate({"a.example.com", 20, 5, true, "Op"}).ok());
  HostBuckets buckets(store.get(), 0);
  TokenBucket* a = buckets.For("https://a.example.com/log1/", "Op");
  EXPECT_EQ(a, buckets.For("https://a.example.com/log2/", "Op"));  // one per host
  EXPECT_NEAR(a->learned_rps(), TokenBucket::kHoldGain * 20, 1e-9);  // paced from the first request
  EXPECT_NEAR(buckets.For("https://b.example.com/", "Op")->learned_rps(), TokenBucket::kHoldGain * 20, 1e-9);
  EXPECT_EQ(buckets.For("https://c.example.org/", "Other")->learned_rps(), 0);  // unknown: unpaced
  EXPECT_EQ(buckets.For("https://d.example.org/", "")->learned_rps(), 0);
}

TEST(HostBucketsTest, SavesWhatTheBucketsLearnt) {
  auto store = NewMemoryStateStore();
  {
    HostBuckets buckets(store.get(), 0);
    TokenBucket* b = buckets.For("https://ct.example.com/log/", "Op");
    ASSERT_TRUE(buckets.Save().ok());  // nothing learnt yet: nothing stored
    auto none = store->ListHostRates();
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    // 20 s of requests, as fast as the bucket allows, to a host with a bucket of 10 req/s, burst 3.
    SteadyTime t{};
    double tokens = 3;
    for (int ms = 0; ms < 20000; ++ms, t += std::chrono::milliseconds(1)) {
      tokens = std::min(3.0, tokens + 0.001 * 10);
      if (b->Reserve(t) != Duration::zero()) continue;
      if (tokens >= 1) {
        tokens -= 1;
        b->OnSuccess(t);
      } else {
        b->OnThrottled(t, std::chrono::seconds(1));
      }
    }
    ASSERT_GT(b->learnt().rps, 0);
    ASSERT_TRUE(buckets.Save().ok());
  }
  auto got = store->GetHostRate("ct.example.com");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_NEAR((*got)->rps, 10, 1.5);
  EXPECT_TRUE((*got)->retry_after);
  EXPECT_EQ((*got)->operator_name, "Op");
}

}  // namespace
}  // namespace ctdl
