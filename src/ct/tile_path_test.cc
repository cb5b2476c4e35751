#include "ct/tile_path.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

TEST(TilePath, IndexGroups) {
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(7), "007");
  EXPECT_EQ(TileIndexPath(67), "067");
  EXPECT_EQ(TileIndexPath(999), "999");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(1000000), "x001/x000/000");
  EXPECT_EQ(TileIndexPath(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
}

TEST(TilePath, DataAndHashTiles) {
  EXPECT_EQ(DataTilePath(0), "tile/data/000");
  EXPECT_EQ(DataTilePath(3, 10), "tile/data/003.p/10");
  EXPECT_EQ(DataTilePath(1234067, 255), "tile/data/x001/x234/067.p/255");
  EXPECT_EQ(DataTilePath(1234067, 256), "tile/data/x001/x234/067");
  EXPECT_EQ(DataTilePath(5, 1), "tile/data/005.p/1");
  EXPECT_EQ(HashTilePath(0, 3), "tile/0/003");
  EXPECT_EQ(HashTilePath(0, 3, 10), "tile/0/003.p/10");
  EXPECT_EQ(HashTilePath(1, 0, 1), "tile/1/000.p/1");
  EXPECT_EQ(HashTilePath(63, 1001), "tile/63/x001/001");
  // Widths outside 1..256 are never produced by the planner; they fall back to a full tile.
  EXPECT_EQ(DataTilePath(2, 0), "tile/data/002");
  EXPECT_EQ(DataTilePath(2, 300), "tile/data/002");
  EXPECT_EQ(TilePath({TileRef::kData, 4, 256}), "tile/data/004");
  EXPECT_EQ(TilePath({2, 4, 7}), "tile/2/004.p/7");
}

TEST(TilePath, Issuer) {
  Hash256 h{};
  h[0] = 0x76;
  h[31] = 0x3d;
  EXPECT_EQ(IssuerPath(h), "issuer/76" + std::string(60, '0') + "3d");
}

TEST(TilePath, ParseRoundTrips) {
  const TileRef refs[] = {{TileRef::kData, 0, 256},
                          {TileRef::kData, 3, 10},
                          {TileRef::kData, 1234067, 255},
                          {0, 0, 1},
                          {1, 999, 256},
                          {63, 1000, 128},
                          {TileRef::kData, UINT64_MAX, 256},
                          {5, 1000000, 2}};
  for (const TileRef& ref : refs) {
    std::string path = TilePath(ref);
    auto parsed = ParseTilePath(path);
    ASSERT_TRUE(parsed.ok()) << path << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, ref) << path;
    EXPECT_EQ(TilePath(*parsed), path);
  }
  auto p = ParseTilePath("tile/data/x001/x234/067.p/9");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->is_data());
  EXPECT_TRUE(p->is_partial());
  EXPECT_EQ(p->index, 1234067u);
  EXPECT_EQ(p->width, 9);
}

TEST(TilePath, ParseRejectsNonCanonical) {
  const char* bad[] = {
      "",
      "tile",
      "tile/data",
      "tile/data/",
      "/tile/data/000",
      "tiles/data/000",
      "tile/data/0",          // not three digits
      "tile/data/0000",       // four digits
      "tile/data/00a",        // not a digit
      "tile/data/001/234",    // missing x prefix
      "tile/data/x001",       // ends with an x group
      "tile/data/x001/",      // empty last group
      "tile/data/x000/067",   // leading zero group
      "tile/data/x1/067",     // short x group
      "tile/data/000.p/0",    // width 0
      "tile/data/000.p/256",  // width 256 is a full tile: no suffix
      "tile/data/000.p/010",  // leading zero in width
      "tile/data/000.p/",     // empty width
      "tile/data/000.p",      // no width
      "tile/data/000.p/5/6",  // extra element
      "tile/data/000/001",    // extra element
      "tile/data/000.q/5",
      "tile/64/000",  // level too high
      "tile/01/000",  // leading zero in level
      "tile/-1/000",
      "tile/x/000",
      "tile/data/x018/x446/x744/x073/x709/x551/616",  // 2^64
      "tile/data/x999/x999/x999/x999/x999/x999/x999/999",
  };
  for (const char* path : bad) {
    auto r = ParseTilePath(path);
    EXPECT_FALSE(r.ok()) << "accepted: \"" << path << "\"";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << path;
    }
  }
}

}  // namespace
}  // namespace ctdl
