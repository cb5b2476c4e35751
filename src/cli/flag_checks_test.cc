#include "cli/flag_checks.h"

#include <gtest/gtest.h>

namespace ctdl::cli {
namespace {

TEST(FlagChecks, CountsAreStrict) {
  EXPECT_EQ(CheckCount("0", 0, 10), "");
  EXPECT_EQ(CheckCount("10", 0, 10), "");
  EXPECT_EQ(CheckCount("4611686018427387904", 0, uint64_t{1} << 62), "");
  for (const char* bad : {"", "-1", "+1", "11", "1e3", "0x10", " 1", "1 ", "18446744073709551616",
                          "99999999999999999999999", "nan"})
    EXPECT_NE(CheckCount(bad, 0, 10), "") << bad;
  EXPECT_NE(CheckCount("0", 1, 10), "");
}

TEST(FlagChecks, RatesAreFiniteAndInRange) {
  EXPECT_EQ(CheckRate("0", 0, 1e6), "");
  EXPECT_EQ(CheckRate("2.5", 0, 1e6), "");
  EXPECT_EQ(CheckRate("1000000", 0, 1e6), "");
  for (const char* bad : {"", "nan", "NaN", "inf", "-1", "1e400", "1e3", "1000001", "0x1p3", "."})
    EXPECT_NE(CheckRate(bad, 0, 1e6), "") << bad;
}

}  // namespace
}  // namespace ctdl::cli
