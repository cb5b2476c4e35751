#include "ct/tile_gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

namespace ctdl {
namespace {

// Test-side gzip writer (one member), independent of the code under test.
std::string Gzip(std::string_view data, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream f(std::string(CTDL_SOURCE_DIR) + "/testdata/ct/tiles/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string SomeBytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24 & 0x3f);  // compressible but not trivial
  }
  return s;
}

TEST(TileGzip, DetectsMagic) {
  EXPECT_TRUE(IsGzip("\x1f\x8b"));
  EXPECT_TRUE(IsGzip(Gzip("x")));
  EXPECT_FALSE(IsGzip(""));
  EXPECT_FALSE(IsGzip("\x1f"));
  EXPECT_FALSE(IsGzip(std::string("\x00\x00\x01\x96", 4)));  // a TileLeaf timestamp
}

TEST(TileGzip, RoundTripsAndConcatenatedMembers) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{300000}}) {
    std::string data = SomeBytes(n);
    std::string out = "junk";
    ASSERT_TRUE(GunzipTile(Gzip(data), &out).ok()) << n;
    EXPECT_EQ(out, data) << n;
  }
  std::string a = SomeBytes(5000), b = "second member";
  std::string out;
  ASSERT_TRUE(GunzipTile(Gzip(a) + Gzip(b, 1), &out).ok());
  EXPECT_EQ(out, a + b);
}

TEST(TileGzip, GoWriterFilesFromSkylight) {
  // Real gzip bodies written by Go's compress/gzip (Sunlight/Skylight testdata; contents are fake text).
  std::string out;
  ASSERT_TRUE(GunzipTile(ReadTestdata("skylight-fake-data-000.gz"), &out).ok());
  EXPECT_EQ(out, "fake full data tile\n");
  ASSERT_TRUE(GunzipTile(ReadTestdata("skylight-fake-data-001.p44.gz"), &out).ok());
  EXPECT_EQ(out, "fake partial data tile\n");
}

TEST(TileGzip, EveryTruncationIsCorrupt) {
  std::string gz = Gzip(SomeBytes(3000));
  for (size_t cut = 0; cut < gz.size(); ++cut) {
    std::string out;
    Status s = GunzipTile(std::string_view(gz).substr(0, cut), &out);
    ASSERT_FALSE(s.ok()) << "cut at " << cut << " of " << gz.size();
    EXPECT_EQ(s.code(), Code::kCorrupt);
    EXPECT_TRUE(out.empty());
  }
}

TEST(TileGzip, TrailingGarbageAndBadChecksumAreCorrupt) {
  std::string data = SomeBytes(2000);
  std::string gz = Gzip(data);
  std::string out;
  EXPECT_EQ(GunzipTile(gz + "x", &out).code(), Code::kCorrupt);
  EXPECT_EQ(GunzipTile(gz + std::string(4, '\0'), &out).code(), Code::kCorrupt);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 1;  // CRC32 is the 8..5th byte from the end
  EXPECT_EQ(GunzipTile(bad_crc, &out).code(), Code::kCorrupt);
  std::string bad_len = gz;
  bad_len[bad_len.size() - 1] ^= 1;  // ISIZE
  EXPECT_EQ(GunzipTile(bad_len, &out).code(), Code::kCorrupt);
  std::string bad_data = gz;
  bad_data[gz.size() / 2] ^= 0x55;
  EXPECT_EQ(GunzipTile(bad_data, &out).code(), Code::kCorrupt);
  EXPECT_EQ(GunzipTile("plain", &out).code(), Code::kCorrupt);
}

TEST(TileGzip, CapsTheInflatedSize) {
  std::string zeros(8 << 20, '\0');
  std::string bomb = Gzip(zeros, 1);
  ASSERT_LT(bomb.size(), 100000u);
  std::string out;
  Status s = GunzipTile(bomb, &out, 1 << 20);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("more than"), std::string::npos) << s.ToString();
  EXPECT_TRUE(out.empty());
  // Exactly at the cap is fine, one byte more is not.
  std::string data = SomeBytes(100000);
  EXPECT_TRUE(GunzipTile(Gzip(data), &out, data.size()).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(GunzipTile(Gzip(data), &out, data.size() - 1).code(), Code::kCorrupt);
  // The default cap applies too.
  std::string big(kMaxTileBytes + 1, '\0');
  EXPECT_EQ(GunzipTile(Gzip(big, 1), &out).code(), Code::kCorrupt);
}

TEST(TileGzip, TileBytesPassesIdentityThroughWithoutCopy) {
  std::string body = std::string("\x00\x00\x01\x96", 4) + "rest";
  std::string scratch;
  auto view = TileBytes(body, &scratch);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->data(), body.data());
  EXPECT_EQ(view->size(), body.size());
  EXPECT_TRUE(scratch.empty());
  auto inflated = TileBytes(Gzip(body), &scratch);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, body);
  EXPECT_EQ(inflated->data(), scratch.data());
  EXPECT_EQ(TileBytes(body, &scratch, 4).status().code(), Code::kCorrupt);
  auto twice = TileBytes(Gzip(Gzip(body)), &scratch);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, body);
  EXPECT_EQ(TileBytes(Gzip(Gzip(Gzip(body))), &scratch).status().code(), Code::kCorrupt);
  EXPECT_EQ(TileBytes(Gzip(body).substr(0, 10), &scratch).status().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace ctdl
