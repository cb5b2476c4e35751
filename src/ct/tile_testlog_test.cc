// Cross-check with ctdl-testlog, whose TileLeaf and Merkle code is written independently of src/ct:
// build a small log with it, cut its TileLeafs into the data tiles TilePlan asks for, decode them, and
// compare every leaf hash with testlog's level-0 hashes (hashes.bin) and every certificate with the
// issuer fingerprints it publishes. Skipped when build/ctdl-testlog has not been built.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ct/merkle.h"
#include "ct/tile_leaf.h"
#include "ct/tile_plan.h"

namespace ctdl {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

uint64_t Le64(std::string_view s, size_t i) {
  uint64_t v = 0;
  for (int b = 7; b >= 0; --b) v = v << 8 | static_cast<uint8_t>(s[8 * i + b]);
  return v;
}

class TileTestlog : public ::testing::TestWithParam<bool> {};  // param: --leaf-index-ext

TEST_P(TileTestlog, DecodesTestlogTilesToItsLeafHashes) {
  const bool leaf_index_ext = GetParam();
  const fs::path bin = fs::path(CTDL_BINARY_DIR) / "ctdl-testlog";
  if (!fs::exists(bin)) GTEST_SKIP() << bin << " not built (cmake --build ... --target ctdl-testlog)";
  const fs::path dir = fs::path(CTDL_BINARY_DIR) /
                       ("tile_testlog_test." + std::to_string(getpid()) + (leaf_index_ext ? "x" : ""));
  fs::remove_all(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() { fs::remove_all(d); }
  } cleanup{dir};
  const uint64_t n = 300;  // tile 000 full + 001.p/44
  std::string cmd = bin.string() + " build --out " + dir.string() + " --entries " + std::to_string(n) +
                    " --seed 7" + (leaf_index_ext ? " --leaf-index-ext" : "") + " > " +
                    (dir.string() + ".log") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir.string() + ".log");
  fs::remove(dir.string() + ".log");

  const std::string leaves = ReadFile(dir / "tileleaves.bin");
  const std::string idx = ReadFile(dir / "tileleaves.idx");
  const std::string hashes = ReadFile(dir / "hashes.bin");
  ASSERT_EQ(idx.size(), (n + 1) * 8);
  ASSERT_GE(hashes.size(), n * 32);
  std::set<std::string> issuers;
  for (const auto& e : fs::directory_iterator(dir / "issuers")) issuers.insert(e.path().filename().string());
  ASSERT_FALSE(issuers.empty());

  auto plan = TilePlan::Make(0, n);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  std::vector<LogEntry> got;
  for (uint64_t i = 0; i < plan->size(); ++i) {
    TileFetch f = plan->at(i);
    uint64_t lo = Le64(idx, f.tile * 256), hi = Le64(idx, f.tile * 256 + f.width);
    ASSERT_LE(hi, leaves.size());
    Status s = DecodeDataTile(std::string_view(leaves).substr(lo, hi - lo), f.spec(), &got);
    ASSERT_TRUE(s.ok()) << f.path() << ": " << s.ToString();
  }
  ASSERT_EQ(got.size(), n);
  // With the leaf_index extension, the same bytes declared as another tile are caught.
  {
    std::vector<LogEntry> wrong;
    uint64_t hi = Le64(idx, 256);
    Status s = DecodeDataTile(std::string_view(leaves).substr(0, hi), {1, 256, 0, 256}, &wrong);
    EXPECT_EQ(s.ok(), !leaf_index_ext) << s.ToString();
  }
  size_t precerts = 0;
  CompactRange range;
  for (uint64_t i = 0; i < n; ++i) {
    EXPECT_EQ(got[i].index, i);
    EXPECT_EQ(got[i].timestamp, 1700000000000 + i);
    EXPECT_EQ(AsView(got[i].leaf_hash), std::string_view(hashes).substr(32 * i, 32)) << "leaf " << i;
    if (got[i].type == EntryType::kPrecert) ++precerts;
    ASSERT_EQ(got[i].chain_sha256.size(), 1u);
    EXPECT_TRUE(issuers.count(HexEncode(AsView(got[i].chain_sha256[0])))) << "entry " << i;
    range.Append(got[i].leaf_hash);
  }
  EXPECT_GT(precerts, 0u);
  EXPECT_LT(precerts, n);
  // hashes.bin level 8 (after levels 0..7) holds the root of the first 256 leaves = tile 0's subtree.
  size_t off = 0;
  for (int level = 0; level < 8; ++level) off += (n >> level) * 32;
  CompactRange first256;
  for (uint64_t i = 0; i < 256; ++i) first256.Append(got[i].leaf_hash);
  EXPECT_EQ(AsView(first256.Root()), std::string_view(hashes).substr(off, 32));
}

INSTANTIATE_TEST_SUITE_P(LeafIndexExt, TileTestlog, ::testing::Bool());

}  // namespace
}  // namespace ctdl
