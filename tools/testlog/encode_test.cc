// Unit tests of ctdl-testlog's own encoders (the python test cross-checks the whole log with pyca).
#include "encode.h"

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "der.h"

namespace testlog {
namespace {

TEST(TilePath, EncodesLikeTlog) {
  EXPECT_EQ(TilePath(0), "000");
  EXPECT_EQ(TilePath(7), "007");
  EXPECT_EQ(TilePath(999), "999");
  EXPECT_EQ(TilePath(1000), "x001/000");
  EXPECT_EQ(TilePath(1234067), "x001/x234/067");
}

TEST(TilePath, ParsesOnlyCanonicalForms) {
  for (uint64_t n : {0ull, 5ull, 999ull, 1000ull, 1234067ull, 987654321012ull}) {
    uint64_t got = ~0ull;
    ASSERT_TRUE(ParseTilePath(TilePath(n), &got)) << n;
    EXPECT_EQ(got, n);
  }
  uint64_t v;
  for (const char* bad : {"", "1", "01", "0000", "x001", "x001/", "x1/000", "001/000", "abc", "x001/x234/06a",
                          "-01", "x001/000/"}) {
    EXPECT_FALSE(ParseTilePath(bad, &v)) << bad;
  }
}

TEST(Der, LengthForms) {
  EXPECT_EQ(Tlv(0x04, std::string(5, 'a')).substr(0, 2), std::string("\x04\x05", 2));
  EXPECT_EQ(Tlv(0x04, std::string(200, 'a')).substr(0, 3), std::string("\x04\x81\xc8", 3));
  EXPECT_EQ(Tlv(0x04, std::string(300, 'a')).substr(0, 4), std::string("\x04\x82\x01\x2c", 4));
  EXPECT_EQ(TlvContent(Tlv(0x30, std::string(300, 'b'))), std::string(300, 'b'));
  EXPECT_EQ(Oid("1.2.840.10045.4.3.2"), std::string("\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10));
  EXPECT_EQ(Integer(0), std::string("\x02\x01\x00", 3));
  EXPECT_EQ(Integer(128), std::string("\x02\x02\x00\x80", 4));
  EXPECT_EQ(Utf8ToUcs("\xc3\xbc", 2), std::string("\x00\xfc", 2));  // ü
  EXPECT_EQ(Utf8ToUcs("A", 4), std::string("\x00\x00\x00\x41", 4));
}

TEST(Leaf, X509Layout) {
  std::string leaf = MerkleLeafX509(0x0102030405060708ull, "CERT");
  EXPECT_EQ(ctdl::HexEncode(leaf),
            "0000"
            "0102030405060708"
            "0000"
            "000004"
            "43455254"
            "0000");
  std::string with_ext = MerkleLeafX509(1, "C", LeafIndexExtension(0x0102030405ull));
  EXPECT_EQ(ctdl::HexEncode(with_ext.substr(with_ext.size() - 10)),
            "0008"
            "000005"
            "0102030405");
}

TEST(Leaf, TileLeafAppendsPrecertAndFingerprints) {
  ctdl::Hash256 ikh{};
  ikh[0] = 0xaa;
  std::string leaf = MerkleLeafPrecert(1, ikh, "TBS");
  ctdl::Hash256 fp{};
  fp[31] = 0xbb;
  std::string tile = TileLeaf(leaf, true, "PRE", {fp});
  EXPECT_EQ(tile.substr(0, leaf.size() - 2), leaf.substr(2));
  std::string rest = tile.substr(leaf.size() - 2);
  EXPECT_EQ(ctdl::HexEncode(rest.substr(0, 6)), "000003505245");
  EXPECT_EQ(ctdl::HexEncode(rest.substr(6, 2)), "0020");
  EXPECT_EQ(rest.size(), 6u + 2u + 32u);
}

TEST(Merkle, EmptyAndPairs) {
  // RFC 6962 test vector: the hash of the empty leaf.
  EXPECT_EQ(ctdl::HexEncode(ctdl::AsView(LeafHash(""))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  ctdl::Hash256 a = LeafHash("a"), b = LeafHash("b");
  std::string in = std::string(1, '\x01') + std::string(ctdl::AsView(a)) + std::string(ctdl::AsView(b));
  EXPECT_EQ(NodeHash(a, b), ctdl::Sha256(in));
}

TEST(Rng, DeterministicAndSpread) {
  Rng r1(42), r2(42), r3(43);
  for (int i = 0; i < 10; ++i) {
    uint64_t v = r1.Next();
    EXPECT_EQ(v, r2.Next());
    EXPECT_NE(v, r3.Next());
  }
  Rng r(7);
  int hits = 0;
  for (int i = 0; i < 10000; ++i) hits += r.Chance(0.3);
  EXPECT_NEAR(hits, 3000, 200);
}

}  // namespace
}  // namespace testlog
