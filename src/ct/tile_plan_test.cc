#include "ct/tile_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace ctdl {
namespace {

TilePlan MakePlan(uint64_t p, uint64_t n) {
  auto plan = TilePlan::Make(p, n);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : *TilePlan::Make(0, 0);
}

TEST(TilePlan, FromZeroToPartial) {
  // 778 = 3 full tiles + 10 entries (the Navigli sample: tile/data/000..002 and 003.p/10).
  auto v = MakePlan(0, 778).ToVector();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], (TileFetch{0, 256, 0, 256}));
  EXPECT_EQ(v[1], (TileFetch{1, 256, 0, 256}));
  EXPECT_EQ(v[2], (TileFetch{2, 256, 0, 256}));
  EXPECT_EQ(v[3], (TileFetch{3, 10, 0, 10}));
  EXPECT_EQ(v[3].path(), "tile/data/003.p/10");
  EXPECT_TRUE(v[3].is_partial());
  EXPECT_EQ(v[3].first_index(), 768u);
  EXPECT_EQ(v[3].end_index(), 778u);
  EXPECT_EQ(v[0].path(), "tile/data/000");
}

TEST(TilePlan, ExactMultipleHasNoPartial) {
  auto v = MakePlan(0, 1024).ToVector();
  ASSERT_EQ(v.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(v[i], (TileFetch{i, 256, 0, 256}));
  v = MakePlan(0, 256).ToVector();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (TileFetch{0, 256, 0, 256}));
}

TEST(TilePlan, ResumeInTheMiddleOfATile) {
  auto v = MakePlan(300, 1000).ToVector();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], (TileFetch{1, 256, 44, 256}));
  EXPECT_EQ(v[0].first_index(), 300u);
  EXPECT_EQ(v[0].count(), 212);
  EXPECT_EQ(v[1], (TileFetch{2, 256, 0, 256}));
  EXPECT_EQ(v[2], (TileFetch{3, 232, 0, 232}));
}

TEST(TilePlan, ResumeInsideTheLastPartialTile) {
  // Last run stopped at 770 of a 778 tree? Then only 8 entries of 003.p/10 remain.
  auto v = MakePlan(770, 778).ToVector();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (TileFetch{3, 10, 2, 10}));
  EXPECT_EQ(v[0].count(), 8);
  // The log grew past the old partial tile: the same tile is now fetched full, skipping what we have.
  v = MakePlan(778, 2000).ToVector();
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], (TileFetch{3, 256, 10, 256}));
  EXPECT_EQ(v[4], (TileFetch{7, 208, 0, 208}));
  // Resume at a tile boundary starts with a whole tile.
  v = MakePlan(512, 600).ToVector();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (TileFetch{2, 88, 0, 88}));
}

TEST(TilePlan, SmallAndEmpty) {
  EXPECT_TRUE(MakePlan(0, 0).empty());
  EXPECT_TRUE(MakePlan(778, 778).empty());
  EXPECT_EQ(MakePlan(778, 778).at(0).count(), 0);
  auto v = MakePlan(0, 1).ToVector();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (TileFetch{0, 1, 0, 1}));
  EXPECT_EQ(v[0].path(), "tile/data/000.p/1");
  v = MakePlan(5, 6).ToVector();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (TileFetch{0, 6, 5, 6}));
}

TEST(TilePlan, PositionBeyondSizeIsAnError) {
  auto plan = TilePlan::Make(779, 778);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kInvalidArgument);
}

TEST(TilePlan, FallbackTakesTheFirstWEntriesOfTheFullTile) {
  TileFetch partial{3, 10, 2, 10};
  TileFetch full = FullTileFallback(partial);
  EXPECT_EQ(full, (TileFetch{3, 256, 2, 10}));
  EXPECT_EQ(full.path(), "tile/data/003");
  EXPECT_FALSE(full.is_partial());
  EXPECT_EQ(full.first_index(), partial.first_index());
  EXPECT_EQ(full.end_index(), partial.end_index());
  DataTileSpec spec = full.spec();
  EXPECT_EQ(spec.tile, 3u);
  EXPECT_EQ(spec.width, 256);
  EXPECT_EQ(spec.begin, 2);
  EXPECT_EQ(spec.end, 10);
  // A full fetch is its own fallback.
  TileFetch f{4, 256, 7, 256};
  EXPECT_EQ(FullTileFallback(f), f);
}

TEST(TilePlan, HugeLogIsRandomAccessWithoutAList) {
  const uint64_t n = (uint64_t{1} << 40) + 17;  // beyond any real log
  auto plan = MakePlan(123456789, n);
  EXPECT_EQ(plan.size(), (n + 255) / 256 - 123456789 / 256);
  EXPECT_EQ(plan.at(0).first_index(), 123456789u);
  EXPECT_EQ(plan.at(plan.size() - 1), (TileFetch{n / 256, 17, 0, 17}));
  EXPECT_EQ(plan.at(plan.size() + 5), plan.at(plan.size() - 1));  // clamped
  EXPECT_EQ(plan.ToVector(3).size(), 3u);
  // Near the top of the uint64 range nothing overflows.
  auto top = MakePlan(UINT64_MAX - 300, UINT64_MAX);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top.at(0).first_index(), UINT64_MAX - 300);
  EXPECT_EQ(top.at(1).end_index(), UINT64_MAX);
  EXPECT_EQ(top.at(1).width, 255);
}

// Property: for random (p, n) the fetches are in order, disjoint, within tiles, and cover [p, n) exactly;
// only the last may be partial and its width is n mod 256.
TEST(TilePlan, CoversTheRangeExactlyOnce) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 2000; ++iter) {
    uint64_t n = rng() % 5000;
    uint64_t p = n ? rng() % (n + 1) : 0;
    auto plan = MakePlan(p, n);
    uint64_t next = p;
    for (uint64_t i = 0; i < plan.size(); ++i) {
      TileFetch f = plan.at(i);
      ASSERT_EQ(f.first_index(), next) << p << ".." << n << " fetch " << i;
      ASSERT_LT(f.begin, f.end);
      ASSERT_LE(f.end, f.width);
      ASSERT_EQ(f.end, f.width);
      if (i + 1 < plan.size()) {
        ASSERT_EQ(f.width, 256);
      } else {
        ASSERT_EQ(f.width, n % 256 ? n % 256 : 256);
      }
      next = f.end_index();
    }
    ASSERT_EQ(next, n) << p << ".." << n;
  }
}

}  // namespace
}  // namespace ctdl
