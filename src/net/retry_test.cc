#include "net/retry.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

using std::chrono::seconds;

TEST(Retry, ParsesSecondsAndDates) {
  WallTime now = std::chrono::system_clock::from_time_t(1445412480);  // 2015-10-21 07:28:00 UTC
  EXPECT_EQ(ParseRetryAfter("120", now), Duration(seconds(120)));
  EXPECT_EQ(ParseRetryAfter(" 3 ", now), Duration(seconds(3)));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), Duration(seconds(30)));
  EXPECT_EQ(ParseRetryAfter("Wednesday, 21-Oct-15 07:28:10 GMT", now), Duration(seconds(10)));
  EXPECT_EQ(ParseRetryAfter("Wed Oct 21 07:28:05 2015", now), Duration(seconds(5)));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), Duration::zero());
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("-5", now));
}

TEST(Retry, Classifies) {
  WallTime now{};
  HttpResponse r;
  r.status = 200;
  EXPECT_EQ(Classify(r, now).disposition, Disposition::kSuccess);
  r.status = 429;
  r.headers = {{"retry-after", "7"}};
  auto v = Classify(r, now);
  EXPECT_EQ(v.disposition, Disposition::kThrottled);
  EXPECT_EQ(v.retry_after, Duration(seconds(7)));
  r.headers.clear();
  for (int s : {0, 500, 502, 503, 504, 408}) {
    r.status = s;
    EXPECT_EQ(Classify(r, now).disposition, Disposition::kRetry) << s;
  }
  r.status = 400;
  EXPECT_EQ(Classify(r, now).disposition, Disposition::kStale);
  r.status = 404;
  EXPECT_EQ(Classify(r, now).disposition, Disposition::kNotFound);
  r.status = 403;
  EXPECT_EQ(Classify(r, now).disposition, Disposition::kFatal);
}

TEST(Retry, BackoffGrowsAndIsCapped) {
  Backoff b{std::chrono::milliseconds(100), seconds(2)};
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    auto d0 = b.Delay(0, rng);
    EXPECT_GE(d0, std::chrono::milliseconds(50));
    EXPECT_LE(d0, std::chrono::milliseconds(100));
    auto d9 = b.Delay(9, rng);
    EXPECT_GE(d9, seconds(1));
    EXPECT_LE(d9, seconds(2));
  }
}

}  // namespace
}  // namespace ctdl
