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

TEST(FlagChecks, PowersOfTwoAreStrict) {
  EXPECT_EQ(CheckPowerOfTwo("256", 256, uint64_t{1} << 62), "");
  EXPECT_EQ(CheckPowerOfTwo("1048576", 256, uint64_t{1} << 62), "");
  // "-9223372036854775808" was read by stoull as 2^63, a power of two, and stored as the chunk size.
  for (const char* bad : {"", "-256", "-9223372036854775808", "9223372036854775808", "128", "384", " 512",
                          "512abc", "1e3", "0x100"})
    EXPECT_NE(CheckPowerOfTwo(bad, 256, uint64_t{1} << 62), "") << bad;
}

}  // namespace
}  // namespace ctdl::cli
