// Real static-ct-api data tiles (testdata/ct/tiles, see testdata/SOURCES.md):
//  - tesseract-example-tile.gz: one real full data tile (tile/data/004 of a TesseraCT log: leaf_index
//    1024..1279, 256 precert entries), gzip-compressed for size. The golden values next to it
//    (.leaf-hashes as a level-0 hash tile, .expected.txt) come from an independent Python parser,
//    tests/tiles_test.py, which also cross-checks every TBS against pyca.
//  - skylight-fake-data-*.gz: gzip bodies written by Go (Sunlight testdata) whose contents are not tiles.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <sstream>

#include "ct/merkle.h"
#include "ct/tile_leaf.h"
#include "ct/tile_plan.h"

namespace ctdl {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream f(std::string(CTDL_SOURCE_DIR) + "/testdata/ct/tiles/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> ReadExpected() {
  std::map<std::string, std::string> kv;
  std::istringstream in(ReadTestdata("tesseract-example-tile.expected.txt"));
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

constexpr uint64_t kExampleTile = 4;  // its leaf_index values are 1024..1279

class TesseractTile : public ::testing::Test {
 protected:
  void SetUp() override {
    gz_ = ReadTestdata("tesseract-example-tile.gz");
    expected_ = ReadExpected();
    ASSERT_EQ(expected_.size(), 9u);
  }
  std::string gz_;
  std::map<std::string, std::string> expected_;
};

TEST_F(TesseractTile, DecodesAllEntriesLikeTheIndependentParser) {
  ASSERT_TRUE(IsGzip(gz_));
  std::vector<LogEntry> entries;
  Status s = DecodeDataTile(gz_, {kExampleTile, 256, 0, 256}, &entries);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(std::to_string(entries.size()), expected_["entries"]);
  EXPECT_EQ(std::to_string(entries[0].index), expected_["first_leaf_index"]);
  EXPECT_EQ(std::to_string(entries[0].timestamp), expected_["first_timestamp"]);
  EXPECT_EQ(std::to_string(entries.back().timestamp), expected_["last_timestamp"]);

  size_t precerts = 0, chain = 0;
  std::string cert_hashes, fingerprints, leaf_hashes;
  for (size_t i = 0; i < entries.size(); ++i) {
    const LogEntry& e = entries[i];
    EXPECT_EQ(e.index, kExampleTile * 256 + i);
    EXPECT_TRUE(e.error.empty());
    ASSERT_TRUE(e.has_leaf_hash);
    if (e.type == EntryType::kPrecert) ++precerts;
    chain += e.chain_sha256.size();
    ASSERT_GE(e.cert.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(e.cert[0]), 0x30);  // a DER SEQUENCE: the pre_certificate
    Hash256 h = Sha256(e.cert);
    cert_hashes.append(AsView(h));
    for (const Hash256& fp : e.chain_sha256) fingerprints.append(AsView(fp));
    leaf_hashes.append(AsView(e.leaf_hash));
  }
  EXPECT_EQ(std::to_string(precerts), expected_["precerts"]);
  EXPECT_EQ(std::to_string(chain), expected_["chain_certs"]);
  EXPECT_EQ(HexEncode(AsView(Sha256(cert_hashes))), expected_["cert_digest"]);
  EXPECT_EQ(HexEncode(AsView(Sha256(fingerprints))), expected_["chain_digest"]);
  // Every leaf hash equals the level-0 hash tile computed independently.
  std::string hash_tile = ReadTestdata("tesseract-example-tile.leaf-hashes");
  ASSERT_EQ(hash_tile.size(), 256u * 32);
  for (size_t i = 0; i < 256; ++i)
    EXPECT_EQ(HexEncode(leaf_hashes.substr(32 * i, 32)), HexEncode(hash_tile.substr(32 * i, 32))) << i;
  // The Merkle root over the tile (the subtree above it) with ct::CompactRange.
  CompactRange range;
  for (const LogEntry& e : entries) range.Append(e.leaf_hash);
  EXPECT_EQ(HexEncode(AsView(range.Root())), expected_["subtree_root"]);
}

TEST_F(TesseractTile, IdentityBodyDecodesTheSame) {
  std::string raw;
  ASSERT_TRUE(GunzipTile(gz_, &raw).ok());
  EXPECT_EQ(raw.size(), 649400u);
  std::vector<LogEntry> a, b;
  ASSERT_TRUE(DecodeDataTile(raw, {kExampleTile, 256, 0, 256}, &a).ok());
  ASSERT_TRUE(DecodeDataTile(gz_, {kExampleTile, 256, 0, 256}, &b).ok());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].cert, b[i].cert);
    EXPECT_EQ(a[i].leaf_hash, b[i].leaf_hash);
    EXPECT_EQ(a[i].chain_sha256, b[i].chain_sha256);
  }
}

TEST_F(TesseractTile, WrongTileNumberIsCaughtByLeafIndex) {
  std::vector<LogEntry> entries;
  Status s = DecodeDataTile(gz_, {0, 256, 0, 256}, &entries);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("leaf_index 1024 where 0 was expected"), std::string::npos) << s.ToString();
  EXPECT_TRUE(entries.empty());
}

TEST_F(TesseractTile, TruncatedOrCutDownBodiesAreCorrupt) {
  std::string raw;
  ASSERT_TRUE(GunzipTile(gz_, &raw).ok());
  std::vector<LogEntry> entries;
  // A cut anywhere (transfer stopped early) is detected, gzip or not.
  for (size_t cut : {size_t{0}, size_t{100}, raw.size() / 2, raw.size() - 1}) {
    EXPECT_EQ(
        DecodeDataTile(std::string_view(raw).substr(0, cut), {kExampleTile, 256, 0, 256}, &entries).code(),
        Code::kCorrupt)
        << cut;
  }
  for (size_t cut : {size_t{10}, gz_.size() / 3, gz_.size() - 8, gz_.size() - 1}) {
    EXPECT_EQ(
        DecodeDataTile(std::string_view(gz_).substr(0, cut), {kExampleTile, 256, 0, 256}, &entries).code(),
        Code::kCorrupt)
        << cut;
  }
  EXPECT_TRUE(entries.empty());
}

TEST_F(TesseractTile, PartialAndFallbackSpecs) {
  // The full tile served where the partial tile .p/10 was asked for: more entries than expected.
  std::vector<LogEntry> entries;
  EXPECT_EQ(DecodeDataTile(gz_, {kExampleTile, 10, 0, 10}, &entries).code(), Code::kCorrupt);
  // The fallback fetch (full tile, take the first 10) works, here resuming at entry 3.
  TileFetch partial{kExampleTile, 10, 3, 10};
  TileFetch full = FullTileFallback(partial);
  ASSERT_TRUE(DecodeDataTile(gz_, full.spec(), &entries).ok());
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_EQ(entries.front().index, 1027u);
  EXPECT_EQ(entries.back().index, 1033u);
  // The first 10 entries, re-encoded as the partial tile .p/10 would be, decode to the same entries.
  std::string raw;
  ASSERT_TRUE(GunzipTile(gz_, &raw).ok());
  std::string_view rest = raw;
  TileLeafView v;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ReadTileLeaf(&rest, &v).ok());
  std::string p10 = raw.substr(0, raw.size() - rest.size());
  std::vector<LogEntry> from_partial;
  ASSERT_TRUE(DecodeDataTile(p10, partial.spec(), &from_partial).ok());
  ASSERT_EQ(from_partial.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(from_partial[i].index, entries[i].index);
    EXPECT_EQ(from_partial[i].leaf_hash, entries[i].leaf_hash);
  }
}

TEST(SkylightTiles, GzipThatIsNotATileIsCorrupt) {
  for (const char* name : {"skylight-fake-data-000.gz", "skylight-fake-data-001.p44.gz"}) {
    std::string body = ReadTestdata(name);
    ASSERT_TRUE(IsGzip(body)) << name;
    std::vector<LogEntry> entries;
    Status s = DecodeDataTile(body, {0, 44, 0, 44}, &entries);
    EXPECT_EQ(s.code(), Code::kCorrupt) << name;
    EXPECT_TRUE(entries.empty());
  }
}

}  // namespace
}  // namespace ctdl
