#include "ct/hash_tiles.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "ct/proof.h"
#include "ct/tree_head.h"

namespace ctdl {
namespace {

std::string ReadCt(const std::string& name, bool* found = nullptr) {
  std::ifstream in(std::string(CTDL_SOURCE_DIR) + "/testdata/ct/" + name, std::ios::binary);
  if (found) *found = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Serves tiles from a folder of testdata/ct/tiles, recording what was asked.
struct DirFetcher {
  std::string dir;
  std::vector<std::string> asked;
  TileFetcher fn() {
    return [this](const TileRef& t) -> Result<std::string> {
      const std::string path = TilePath(t);
      asked.push_back(path);
      bool found = false;
      std::string bytes = ReadCt("tiles/" + dir + "/" + path, &found);
      if (!found) return NotFound("no tile " + path);
      return bytes;
    };
  }
};

// A tlog-tiles server computed from leaf hashes, for trees larger than the real data.
class SyntheticTiles {
 public:
  explicit SyntheticTiles(std::vector<Hash256> leaves) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() >= 256) {
      std::vector<Hash256> up;
      const auto& below = levels_.back();
      for (size_t i = 0; i + 256 <= below.size(); i += 256)
        up.push_back(MerkleRoot(std::span(below).subspan(i, 256)));
      levels_.push_back(std::move(up));
    }
  }
  bool drop_partials = false;  // serve the full tile instead of a partial one when it exists
  int fetches = 0;
  TileFetcher fn() {
    return [this](const TileRef& t) -> Result<std::string> {
      ++fetches;
      if (t.level < 0 || static_cast<size_t>(t.level) >= levels_.size())
        return NotFound("no level " + std::to_string(t.level));
      const auto& hashes = levels_[t.level];
      uint64_t width = t.width;
      if (drop_partials && (t.index + 1) * 256 <= hashes.size()) width = 256;
      if (t.index * 256 + width > hashes.size()) return NotFound("no tile " + TilePath(t));
      std::string out;
      for (uint64_t i = 0; i < width; ++i) out.append(AsView(hashes[t.index * 256 + i]));
      return out;
    };
  }

 private:
  std::vector<std::vector<Hash256>> levels_;
};

std::vector<Hash256> RecordLeaves(uint64_t n) {  // the skylight mirror's records: "record <i>"
  std::vector<Hash256> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(HashLeaf("record " + std::to_string(i)));
  return out;
}

std::vector<Hash256> TestLeaves(uint64_t n, uint64_t salt = 0) {
  std::vector<Hash256> out;
  for (uint64_t i = 0; i < n; ++i)
    out.push_back(HashLeaf("t" + std::to_string(salt) + "-" + std::to_string(i)));
  return out;
}

TEST(HashTiles, SkylightMirrorTilesGiveTheSignedRoot) {
  auto cp = ParseCheckpoint(ReadCt("tiles/skylight-mirror/checkpoint"));
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  ASSERT_EQ(cp->size, 300u);
  DirFetcher dir{"skylight-mirror", {}};
  auto range = CompactRangeFromTiles(300, 300, dir.fn());
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(range->Root(), cp->root_hash);
  // One tile per level: 300 = 256 + 44 -> tile/1/000.p/1 and tile/0/001.p/44.
  EXPECT_EQ(std::set<std::string>(dir.asked.begin(), dir.asked.end()),
            (std::set<std::string>{"tile/1/000.p/1", "tile/0/001.p/44"}));
  // The tiles hold the leaves the generator (Go's tlog) says they do.
  const auto leaves = RecordLeaves(300);
  EXPECT_EQ(MerkleRoot(leaves), cp->root_hash);
  auto verified = VerifiedCompactRangeFromTiles(300, 300, cp->root_hash, dir.fn());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->hashes(), range->hashes());
}

TEST(HashTiles, EveryPrefixOfTheSkylightMirror) {
  auto cp = ParseCheckpoint(ReadCt("tiles/skylight-mirror/checkpoint"));
  ASSERT_TRUE(cp.ok());
  const auto leaves = RecordLeaves(300);
  DirFetcher dir{"skylight-mirror", {}};
  CompactRange appended;
  for (uint64_t n = 0; n <= 300; ++n) {
    auto range = CompactRangeFromTiles(n, 300, dir.fn());
    ASSERT_TRUE(range.ok()) << n << ": " << range.status().ToString();
    ASSERT_EQ(range->hashes(), appended.hashes()) << n;
    auto proof = ConsistencyProofFromTiles(n, 300, dir.fn());
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    ASSERT_EQ(*proof, ConsistencyProof(n, leaves)) << n;
    ASSERT_TRUE(VerifyConsistencyFromTiles(n, appended.Root(), 300, cp->root_hash, dir.fn()).ok()) << n;
    auto verified = VerifiedCompactRangeFromTiles(n, 300, cp->root_hash, dir.fn());
    ASSERT_TRUE(verified.ok()) << n << ": " << verified.status().ToString();
    if (n < 300) appended.Append(leaves[n]);
  }
  EXPECT_FALSE(VerifyConsistencyFromTiles(100, appended.Root(), 300, cp->root_hash, dir.fn()).ok());
}

TEST(HashTiles, TesseractCheckpointHistory) {
  // A real tlog-tiles log (15 entries) with a checkpoint for every size and only partial tiles.
  std::vector<Checkpoint> cps;
  for (int n = 1; n <= 15; ++n) {
    auto cp = ParseCheckpoint(ReadCt("tiles/tesseract/checkpoint." + std::to_string(n)));
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    ASSERT_EQ(cp->size, static_cast<uint64_t>(n));
    cps.push_back(*cp);
  }
  for (int n = 1; n <= 15; ++n) {
    DirFetcher dir{"tesseract", {}};
    auto range = CompactRangeFromTiles(n, 15, dir.fn());
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    EXPECT_EQ(range->Root(), cps[n - 1].root_hash) << n;
    EXPECT_EQ(dir.asked, std::vector<std::string>{"tile/0/000.p/15"});
    // Tiles of each historical size also exist and agree.
    DirFetcher old{"tesseract", {}};
    auto own = CompactRangeFromTiles(n, n, old.fn());
    ASSERT_TRUE(own.ok()) << own.status().ToString();
    EXPECT_EQ(own->Root(), cps[n - 1].root_hash);
    for (int m = 1; m <= n; ++m) {
      Status s = VerifyConsistencyFromTiles(m, cps[m - 1].root_hash, n, cps[n - 1].root_hash, old.fn());
      EXPECT_TRUE(s.ok()) << m << " -> " << n << ": " << s.ToString();
      if (m < n) {
        EXPECT_FALSE(VerifyConsistencyFromTiles(m, cps[m].root_hash, n, cps[n - 1].root_hash, old.fn()).ok());
      }
    }
  }
}

TEST(HashTiles, LargeSyntheticTreeAcrossThreeLevels) {
  const uint64_t kSize = 70000;  // 273 full level-0 tiles, a partial level-1 and level-2 tile
  const auto leaves = TestLeaves(kSize);
  SyntheticTiles tiles(leaves);
  CompactRange appended;
  std::vector<std::pair<uint64_t, Hash256>> roots;  // sizes to check: powers of two and odd ones
  const std::set<uint64_t> sizes = {1, 2, 3, 255, 256, 257, 4096, 65535, 65536, 65537, 69999};
  for (uint64_t i = 0; i < kSize; ++i) {
    appended.Append(leaves[i]);
    if (sizes.count(i + 1)) roots.emplace_back(i + 1, appended.Root());
  }
  const Hash256 root = appended.Root();
  tiles.fetches = 0;
  auto full = VerifiedCompactRangeFromTiles(kSize, kSize, root, tiles.fn());
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->hashes(), appended.hashes());
  EXPECT_LE(tiles.fetches, 3);
  for (bool drop : {false, true}) {
    tiles.drop_partials = drop;
    for (const auto& [size, r] : roots) {
      auto range = VerifiedCompactRangeFromTiles(size, kSize, root, tiles.fn());
      ASSERT_TRUE(range.ok()) << size << ": " << range.status().ToString();
      EXPECT_EQ(range->Root(), r);
      EXPECT_TRUE(VerifyConsistencyFromTiles(size, r, kSize, root, tiles.fn()).ok()) << size;
      EXPECT_EQ(VerifyConsistencyFromTiles(size, root, kSize, root, tiles.fn()).code(), Code::kVerifyFailed)
          << size;
    }
  }
}

TEST(HashTiles, ForkedOrBrokenTilesAreCaught) {
  const auto leaves = TestLeaves(1000);
  auto forked = leaves;
  forked[300] = HashLeaf("evil");
  const Hash256 root = MerkleRoot(leaves);
  SyntheticTiles honest(leaves), evil(forked);
  const Hash256 root600 = MerkleRoot(std::span(leaves).first(600));
  // A log that serves tiles of a different tree: neither the root nor consistency checks out.
  Status s = VerifyConsistencyFromTiles(600, root600, 1000, root, evil.fn());
  EXPECT_EQ(s.code(), Code::kVerifyFailed);
  EXPECT_NE(s.message().find("600"), std::string::npos) << s.message();
  EXPECT_EQ(VerifiedCompactRangeFromTiles(600, 1000, root, evil.fn()).status().code(), Code::kVerifyFailed);
  EXPECT_EQ(VerifiedCompactRangeFromTiles(1000, 1000, root, evil.fn()).status().code(), Code::kVerifyFailed);
  // The old tree was consistent, the new tree head was forked after it: detected too.
  const Hash256 forked_root = MerkleRoot(forked);
  EXPECT_FALSE(VerifyConsistencyFromTiles(600, root600, 1000, forked_root, evil.fn()).ok());
  EXPECT_TRUE(
      VerifyConsistencyFromTiles(200, MerkleRoot(std::span(leaves).first(200)), 1000, forked_root, evil.fn())
          .ok());  // fork is after leaf 200
  // Shrinking.
  EXPECT_EQ(VerifyConsistencyFromTiles(1000, root, 600, root600, honest.fn()).code(), Code::kVerifyFailed);
  EXPECT_EQ(CompactRangeFromTiles(1001, 1000, honest.fn()).status().code(), Code::kInvalidArgument);
  // Wrong tile lengths are kCorrupt; fetch errors pass through.
  auto short_tile = [](const TileRef&) -> Result<std::string> { return std::string(31, 'x'); };
  EXPECT_EQ(CompactRangeFromTiles(700, 1000, short_tile).status().code(), Code::kCorrupt);
  auto long_tile = [](const TileRef&) -> Result<std::string> { return std::string(8192 + 32, 'x'); };
  EXPECT_EQ(CompactRangeFromTiles(700, 1000, long_tile).status().code(), Code::kCorrupt);
  auto down = [](const TileRef&) -> Result<std::string> { return Unavailable("503"); };
  EXPECT_EQ(VerifyConsistencyFromTiles(600, root600, 1000, root, down).code(), Code::kUnavailable);
  // Huge hostile sizes: fetch errors, never a crash.
  const uint64_t max = ~uint64_t{0};
  EXPECT_FALSE(VerifyConsistencyFromTiles(max - 1, root, max, root, honest.fn()).ok());
  EXPECT_FALSE(VerifiedCompactRangeFromTiles(max, max, root, honest.fn()).ok());
}

TEST(HashTiles, TilePathsOfTheFetcher) {
  // Size 70000 asks for exactly the partial tiles the spec example names.
  std::vector<std::string> asked;
  auto record = [&](const TileRef& t) -> Result<std::string> {
    asked.push_back(TilePath(t));
    return std::string(32 * t.width, '\0');
  };
  ASSERT_TRUE(CompactRangeFromTiles(70000, 70000, record).ok());
  EXPECT_EQ(std::set<std::string>(asked.begin(), asked.end()),
            (std::set<std::string>{"tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"}));
}

}  // namespace
}  // namespace ctdl
