#include "base/status.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace ctdl {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}
Status Quarter(int x, int* out) {
  TRY_ASSIGN(int h, Half(x));
  TRY_ASSIGN(*out, Half(h));
  return Status::Ok();
}
Status Chain(int x) {
  TRY(Half(x));
  return Status::Ok();
}

TEST(Status, TryPropagates) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "invalid argument: odd");
  EXPECT_FALSE(Chain(3).ok());
  EXPECT_EQ(Chain(3).Annotate("ctx").message(), "ctx: odd");
}

TEST(Clock, FakeClockAdvancesOnSleep) {
  FakeClock c;
  auto t0 = c.Now();
  auto w0 = c.WallNow();
  c.SleepFor(std::chrono::seconds(5));
  EXPECT_EQ(c.Now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(c.WallNow() - w0, std::chrono::seconds(5));
  EXPECT_EQ(c.TotalSlept(), std::chrono::seconds(5));
}

}  // namespace
}  // namespace ctdl
