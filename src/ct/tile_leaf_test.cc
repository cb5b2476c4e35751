// TileLeaf decoding on synthetic tiles: framing, leaf_index, leaf hash, errors. Real data tiles are in
// tile_real_data_test.cc.
#include "ct/tile_leaf.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "ct/merkle.h"

namespace ctdl {
namespace {

// An owned leaf; view() points into it.
struct Leaf {
  uint64_t timestamp = 1700000000000;
  EntryType type = EntryType::kX509;
  std::string issuer_key_hash;
  std::string certificate;
  std::string extensions;
  std::string pre_certificate;
  std::string fingerprints;

  TileLeafView view() const {
    TileLeafView v;
    v.timestamp = timestamp;
    v.type = type;
    v.issuer_key_hash = issuer_key_hash;
    v.certificate = certificate;
    v.extensions = extensions;
    v.pre_certificate = pre_certificate;
    v.fingerprints = fingerprints;
    return v;
  }
  // The RFC 6962 leaf hash, built here byte by byte (not with the code under test).
  Hash256 ExpectedLeafHash() const {
    std::string mtl = {0, 0};  // version v1, leaf_type timestamped_entry
    for (int i = 7; i >= 0; --i) mtl.push_back(static_cast<char>(timestamp >> (8 * i)));
    mtl += {0, static_cast<char>(type == EntryType::kPrecert ? 1 : 0)};
    if (type == EntryType::kPrecert) mtl += issuer_key_hash;
    size_t n = certificate.size();
    mtl += {static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
    mtl += certificate;
    mtl += {static_cast<char>(extensions.size() >> 8), static_cast<char>(extensions.size())};
    mtl += extensions;
    return HashLeaf(mtl);
  }
};

Leaf MakeLeaf(uint64_t index, bool precert, bool with_leaf_index = true) {
  Leaf l;
  l.timestamp = 1700000000000 + index;
  l.type = precert ? EntryType::kPrecert : EntryType::kX509;
  std::string der =
      "\x30\x82"
      "cert-" +
      std::to_string(index) + std::string(index % 7 * 50, 'z');
  if (precert) {
    l.issuer_key_hash = std::string(32, static_cast<char>('k' + index % 3));
    l.certificate = "tbs-" + std::to_string(index);
    l.pre_certificate = der;
  } else {
    l.certificate = der;
  }
  if (with_leaf_index) l.extensions = LeafIndexExtension(index);
  for (uint64_t i = 0; i < index % 4; ++i) l.fingerprints += std::string(32, static_cast<char>('a' + i));
  return l;
}

std::string Encode(const std::vector<Leaf>& leaves) {
  std::string out;
  for (const Leaf& l : leaves) EXPECT_TRUE(AppendTileLeaf(l.view(), &out).ok());
  return out;
}

std::vector<Leaf> MakeTileLeaves(uint64_t tile, int width, bool with_leaf_index = true) {
  std::vector<Leaf> leaves;
  for (int i = 0; i < width; ++i) leaves.push_back(MakeLeaf(tile * 256 + i, i % 3 == 1, with_leaf_index));
  return leaves;
}

std::string Gzip(std::string_view data) {
  uLongf len = compressBound(data.size()) + 64;
  std::string out(len, '\0');
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void ExpectEntryMatches(const LogEntry& e, const Leaf& l, uint64_t index) {
  EXPECT_EQ(e.index, index);
  EXPECT_EQ(e.timestamp, l.timestamp);
  EXPECT_EQ(e.type, l.type);
  EXPECT_EQ(e.cert, l.type == EntryType::kPrecert ? l.pre_certificate : l.certificate);
  EXPECT_EQ(e.signed_tbs, l.type == EntryType::kPrecert ? l.certificate : "");
  ASSERT_EQ(e.chain_sha256.size() * 32, l.fingerprints.size());
  for (size_t i = 0; i < e.chain_sha256.size(); ++i)
    EXPECT_EQ(AsView(e.chain_sha256[i]), std::string_view(l.fingerprints).substr(32 * i, 32));
  EXPECT_TRUE(e.has_leaf_hash);
  EXPECT_EQ(e.leaf_hash, l.ExpectedLeafHash()) << "index " << index;
  EXPECT_TRUE(e.error.empty());
}

TEST(TileLeaf, ReadsX509AndPrecertFields) {
  Leaf x = MakeLeaf(5, false), p = MakeLeaf(6, true);
  std::string bytes = Encode({x, p});
  std::string_view rest = bytes;
  TileLeafView v;
  ASSERT_TRUE(ReadTileLeaf(&rest, &v).ok());
  EXPECT_EQ(v.type, EntryType::kX509);
  EXPECT_EQ(v.certificate, x.certificate);
  EXPECT_TRUE(v.issuer_key_hash.empty());
  EXPECT_TRUE(v.pre_certificate.empty());
  EXPECT_EQ(v.leaf_index, std::optional<uint64_t>(5));
  EXPECT_EQ(v.chain_length(), 1u);
  EXPECT_EQ(v.timestamped_entry.data(), bytes.data());
  ASSERT_TRUE(ReadTileLeaf(&rest, &v).ok());
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(v.type, EntryType::kPrecert);
  EXPECT_EQ(v.issuer_key_hash, p.issuer_key_hash);
  EXPECT_EQ(v.certificate, p.certificate);  // the TBS
  EXPECT_EQ(v.pre_certificate, p.pre_certificate);
  EXPECT_EQ(v.leaf_index, std::optional<uint64_t>(6));
  EXPECT_EQ(v.chain_length(), 2u);
  EXPECT_EQ(TileLeafHash(v), p.ExpectedLeafHash());
}

TEST(TileLeaf, DecodesAFullTile) {
  auto leaves = MakeTileLeaves(7, 256);
  std::vector<LogEntry> out;
  ASSERT_TRUE(DecodeDataTile(Encode(leaves), {7, 256, 0, 256}, &out).ok());
  ASSERT_EQ(out.size(), 256u);
  for (int i = 0; i < 256; ++i) ExpectEntryMatches(out[i], leaves[i], 7 * 256 + i);
}

// Reused LogEntry objects (EntrySlots, as in the decode pool) come out as fresh ones: a tile whose
// slots held precerts with TBS and chains, then one of other entries, then a failing one.
TEST(TileLeaf, ReusedSlotsDecodeAsFreshEntries) {
  std::vector<LogEntry> slots;
  // Starting at 1 and 2 shifts which slot gets a precert (every third leaf) and how long its chain is.
  for (auto [tile, begin] : {std::pair<uint64_t, uint16_t>{7, 0}, {9, 1}, {8, 2}}) {
    auto leaves = MakeTileLeaves(tile, 256);
    std::string raw = Encode(leaves);
    EntrySlots into(&slots, 0);
    ASSERT_TRUE(DecodeDataTile(raw, {tile, 256, begin, 256}, &into).ok());
    ASSERT_EQ(into.size(), 256u - begin);
    for (size_t i = 0; i < into.size(); ++i)
      ExpectEntryMatches(slots[i], leaves[i + begin], tile * 256 + i + begin);
  }
  EXPECT_EQ(slots.size(), 256u);
  EntrySlots bad(&slots, 0);
  auto leaves = MakeTileLeaves(3, 256);
  EXPECT_EQ(DecodeDataTile(Encode(leaves).substr(0, 5000), {3, 256, 0, 256}, &bad).code(), Code::kCorrupt);
  EXPECT_EQ(bad.size(), 0u);
}

TEST(TileLeaf, DecodesGzipTheSameAsIdentity) {
  auto leaves = MakeTileLeaves(2, 40);
  std::string raw = Encode(leaves);
  std::vector<LogEntry> a, b;
  ASSERT_TRUE(DecodeDataTile(raw, {2, 40, 0, 40}, &a).ok());
  ASSERT_TRUE(DecodeDataTile(Gzip(raw), {2, 40, 0, 40}, &b).ok());
  ASSERT_EQ(a.size(), 40u);
  ASSERT_EQ(b.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(a[i].cert, b[i].cert);
    EXPECT_EQ(a[i].leaf_hash, b[i].leaf_hash);
  }
  // The inflated size cap applies to the tile.
  std::vector<LogEntry> c;
  EXPECT_EQ(DecodeDataTile(Gzip(raw), {2, 40, 0, 40}, &c, raw.size() - 1).code(), Code::kCorrupt);
  EXPECT_TRUE(c.empty());
}

TEST(TileLeaf, ReturnsOnlyTheRequestedSliceButChecksTheWholeTile) {
  auto leaves = MakeTileLeaves(3, 256);
  std::string raw = Encode(leaves);
  std::vector<LogEntry> out = {LogEntry{}};                      // appended to, not replaced
  ASSERT_TRUE(DecodeDataTile(raw, {3, 256, 2, 10}, &out).ok());  // fallback: first 10, resume at 2
  ASSERT_EQ(out.size(), 9u);
  for (int i = 2; i < 10; ++i) ExpectEntryMatches(out[i - 1], leaves[i], 3 * 256 + i);
  // A bad leaf_index outside the slice still fails the tile.
  auto bad = leaves;
  bad[200].extensions = LeafIndexExtension(5);
  out.clear();
  Status s = DecodeDataTile(Encode(bad), {3, 256, 0, 10}, &out);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("leaf_index 5 where 968 was expected"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("tile/data/003 entry 200"), std::string::npos) << s.ToString();
  EXPECT_TRUE(out.empty());
  // Empty slice: validates only.
  ASSERT_TRUE(DecodeDataTile(raw, {3, 256, 256, 256}, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(TileLeaf, LeafIndexIsOptionalAndChecked) {
  auto plain = MakeTileLeaves(1, 10, /*with_leaf_index=*/false);
  std::vector<LogEntry> out;
  ASSERT_TRUE(DecodeDataTile(Encode(plain), {1, 10, 0, 10}, &out).ok());
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(out[9].index, 265u);
  // Same bytes declared as another tile: the leaf_index check catches it.
  auto indexed = MakeTileLeaves(1, 10);
  out.clear();
  EXPECT_EQ(DecodeDataTile(Encode(indexed), {2, 10, 0, 10}, &out).code(), Code::kCorrupt);
  EXPECT_TRUE(out.empty());
  // Unknown extensions are skipped, also around leaf_index.
  auto ext = indexed;
  ext[4].extensions =
      std::string("\x07\x00\x02xy", 5) + LeafIndexExtension(260) + std::string("\xff\x00\x00", 3);
  ASSERT_TRUE(DecodeDataTile(Encode(ext), {1, 10, 0, 10}, &out).ok());
  // The leaf hash covers the extensions exactly as stored.
  EXPECT_EQ(out[4].leaf_hash, ext[4].ExpectedLeafHash());
  EXPECT_NE(out[4].leaf_hash, indexed[4].ExpectedLeafHash());
}

TEST(TileLeaf, MalformedExtensions) {
  EXPECT_EQ(ParseLeafIndexExtension("").value(), std::nullopt);
  EXPECT_EQ(ParseLeafIndexExtension(LeafIndexExtension(0x123456789a)).value(),
            std::optional<uint64_t>(0x123456789a));
  const std::string bad[] = {
      std::string("\x00", 1),                                  // no length
      std::string("\x00\x00", 2),                              // short length
      std::string("\x00\x00\x05\x00\x00", 5),                  // data truncated
      std::string("\x00\x00\x04\x00\x00\x00\x01", 7),          // leaf_index of 4 bytes
      std::string("\x00\x00\x06\x00\x00\x00\x00\x00\x01", 9),  // of 6 bytes
      LeafIndexExtension(1) + LeafIndexExtension(1),           // duplicate
      LeafIndexExtension(1) + std::string("\x05", 1),          // trailing byte
  };
  for (const auto& ext : bad) {
    auto r = ParseLeafIndexExtension(ext);
    EXPECT_FALSE(r.ok()) << HexEncode(ext);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorrupt);
    }
    // And inside a tile.
    Leaf l = MakeLeaf(0, false);
    l.extensions = ext;
    std::vector<LogEntry> out;
    EXPECT_EQ(DecodeDataTile(Encode({l}), {0, 1, 0, 1}, &out).code(), Code::kCorrupt) << HexEncode(ext);
  }
}

TEST(TileLeaf, WrongEntryCountIsCorrupt) {
  auto leaves = MakeTileLeaves(0, 12);
  std::string raw = Encode(leaves);
  std::vector<LogEntry> out;
  Status s = DecodeDataTile(raw, {0, 13, 0, 13}, &out);  // short tile
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("tile has 12 entries, expected 13"), std::string::npos) << s.ToString();
  s = DecodeDataTile(raw, {0, 11, 0, 11}, &out);  // one entry too many
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("bytes after the last of 11 entries"), std::string::npos) << s.ToString();
  EXPECT_EQ(DecodeDataTile("", {0, 1, 0, 1}, &out).code(), Code::kCorrupt);
  EXPECT_EQ(DecodeDataTile(raw + "x", {0, 12, 0, 12}, &out).code(), Code::kCorrupt);
  EXPECT_TRUE(out.empty());
}

TEST(TileLeaf, EveryTruncationIsCorrupt) {
  auto leaves = MakeTileLeaves(0, 6);
  std::string raw = Encode(leaves);
  for (size_t cut = 0; cut < raw.size(); ++cut) {
    std::vector<LogEntry> out;
    Status s = DecodeDataTile(std::string_view(raw).substr(0, cut), {0, 6, 0, 6}, &out);
    ASSERT_EQ(s.code(), Code::kCorrupt) << "cut " << cut;
    ASSERT_TRUE(out.empty());
  }
  std::string gz = Gzip(raw);
  for (size_t cut = 0; cut < gz.size(); cut += 3) {
    std::vector<LogEntry> out;
    ASSERT_EQ(DecodeDataTile(std::string_view(gz).substr(0, cut), {0, 6, 0, 6}, &out).code(), Code::kCorrupt)
        << "gzip cut " << cut;
  }
}

TEST(TileLeaf, BadFieldsAreCorrupt) {
  std::vector<LogEntry> out;
  // Unknown entry_type.
  std::string raw = Encode({MakeLeaf(0, false)});
  raw[9] = 2;
  Status s = DecodeDataTile(raw, {0, 1, 0, 1}, &out);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("entry_type 2"), std::string::npos);
  // Empty certificate (the encoder refuses it, so patch the length by hand).
  std::string empty_cert(8, '\0');
  empty_cert += std::string(
      "\x00\x00"
      "\x00\x00\x00"
      "\x00\x00"
      "\x00\x00",
      9);
  EXPECT_EQ(DecodeDataTile(empty_cert, {0, 1, 0, 1}, &out).code(), Code::kCorrupt);
  // Fingerprints that are not 32-byte hashes.
  Leaf l = MakeLeaf(0, false);
  std::string odd;
  AppendUint(&odd, 8, l.timestamp);
  AppendUint(&odd, 2, 0);
  AppendUint(&odd, 3, l.certificate.size());
  odd += l.certificate;
  AppendUint(&odd, 2, 0);
  AppendUint(&odd, 2, 31);
  odd += std::string(31, 'f');
  EXPECT_EQ(DecodeDataTile(odd, {0, 1, 0, 1}, &out).code(), Code::kCorrupt);
  // Empty pre_certificate.
  Leaf p = MakeLeaf(1, true);
  std::string pre;
  AppendUint(&pre, 8, p.timestamp);
  AppendUint(&pre, 2, 1);
  pre += p.issuer_key_hash;
  AppendUint(&pre, 3, p.certificate.size());
  pre += p.certificate;
  AppendUint(&pre, 2, 0);
  AppendUint(&pre, 3, 0);
  AppendUint(&pre, 2, 0);
  EXPECT_EQ(DecodeDataTile(pre, {0, 1, 0, 1}, &out).code(), Code::kCorrupt);
  EXPECT_TRUE(out.empty());
}

TEST(TileLeaf, ImpossibleSpecs) {
  std::string raw = Encode(MakeTileLeaves(0, 2));
  std::vector<LogEntry> out;
  EXPECT_EQ(DecodeDataTile(raw, {0, 0, 0, 0}, &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeDataTile(raw, {0, 257, 0, 2}, &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeDataTile(raw, {0, 2, 2, 1}, &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeDataTile(raw, {0, 2, 0, 3}, &out).code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeDataTile(raw, {UINT64_MAX, 2, 0, 2}, &out).code(), Code::kInvalidArgument);
}

TEST(TileLeaf, EncoderRefusesOutOfBoundFields) {
  std::string out;
  Leaf l = MakeLeaf(0, false);
  l.certificate.clear();
  EXPECT_EQ(AppendTileLeaf(l.view(), &out).code(), Code::kInvalidArgument);
  l = MakeLeaf(0, true);
  l.issuer_key_hash.resize(31);
  EXPECT_EQ(AppendTileLeaf(l.view(), &out).code(), Code::kInvalidArgument);
  l = MakeLeaf(0, true);
  l.pre_certificate.clear();
  EXPECT_EQ(AppendTileLeaf(l.view(), &out).code(), Code::kInvalidArgument);
  l = MakeLeaf(0, false);
  l.fingerprints = std::string(33, 'x');
  EXPECT_EQ(AppendTileLeaf(l.view(), &out).code(), Code::kInvalidArgument);
  l.fingerprints.clear();
  l.extensions = std::string(70000, 'e');
  EXPECT_EQ(AppendTileLeaf(l.view(), &out).code(), Code::kInvalidArgument);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(HexEncode(LeafIndexExtension(0x0102030405)), "0000050102030405");
}

}  // namespace
}  // namespace ctdl
