#include "sink/segment.h"

#include <gtest/gtest.h>
#include <libdeflate.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <random>

namespace ctdl {
namespace {

TEST(LogSlug, FollowsTheDocumentedRule) {
  EXPECT_EQ(LogSlug("https://ct.googleapis.com/logs/argon2025h2/"), "ct.googleapis.com_logs_argon2025h2");
  EXPECT_EQ(LogSlug("https://ct.googleapis.com/logs/argon2025h2"), "ct.googleapis.com_logs_argon2025h2");
  EXPECT_EQ(LogSlug("http://127.0.0.1:8080/testlog/"), "127.0.0.1_8080_testlog");
  EXPECT_EQ(LogSlug("https://CT.Example.COM/Path_X/"), "ct.example.com_Path_X");
  EXPECT_EQ(LogSlug("https://oak.ct.letsencrypt.org/2025h2/"), "oak.ct.letsencrypt.org_2025h2");
  EXPECT_EQ(LogSlug("https://x.org/a%2F..?q=1"), "x.org_a_2F.._q_1");
  EXPECT_EQ(LogSlug(""), "log");
  EXPECT_EQ(LogSlug("https://"), "log");
  EXPECT_EQ(LogSlug(".."), "_.");
  for (std::string url : {"https://a/b/", "http://127.0.0.1:1/x", "weird://..//..", "../../etc"}) {
    std::string s = LogSlug(url);
    EXPECT_EQ(s.find('/'), std::string::npos) << url;
    EXPECT_NE(s.front(), '.') << url;
  }
}

TEST(SegmentKey, FormatsAndParses) {
  std::string k = SegmentKey("ct.example.com_x", 0, 99, Compression::kGzip);
  EXPECT_EQ(k, "ct.example.com_x/000000000000-000000000099.jsonl.gz");
  auto n = ParseSegmentKey(k);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->first, 0u);
  EXPECT_EQ(n->last, 99u);
  EXPECT_EQ(n->compression, Compression::kGzip);

  auto z = ParseSegmentKey(SegmentKey("s", 123456789012, 123456789012, Compression::kZstd));
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->first, 123456789012u);
  EXPECT_EQ(z->last, 123456789012u);
  EXPECT_EQ(z->compression, Compression::kZstd);

  auto wide = ParseSegmentKey(SegmentKey("s", 5000000000000, 5000000000099, Compression::kGzip));
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->last, 5000000000099u);

  EXPECT_EQ(SegmentPrefix("s"), "s/");
}

TEST(SegmentKey, RejectsForeignNames) {
  for (std::string k :
       {"s/.000000000000-000000000099.jsonl.gz.tmp-1-2", "s/000000000000-000000000099.json.gz",
        "s/00000000000-000000000099.jsonl.gz", "s/000000000100-000000000099.jsonl.gz",
        "s/000000000000_000000000099.jsonl.gz", "s/00000000000a-000000000099.jsonl.gz",
        "s/-000000000099.jsonl.gz", "s/000000000000-.jsonl.gz", "README",
        "s/000000000000-99999999999999999999999.jsonl.gz", "s/000000000000-000000000099.jsonl.gz/x"})
    EXPECT_FALSE(ParseSegmentKey(k).has_value()) << k;
}

TEST(Compression, ParsesNames) {
  EXPECT_EQ(*ParseCompression("gzip"), Compression::kGzip);
  EXPECT_EQ(*ParseCompression("zstd"), Compression::kZstd);
  EXPECT_EQ(ParseCompression("brotli").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
  EXPECT_EQ(SegmentExtension(Compression::kGzip), ".jsonl.gz");
}

class CodecTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CodecTest, RoundTripsAndShrinksNdjson) {
  SegmentBuilder b(500, GetParam());
  std::string ndjson;
  for (int i = 0; i < 2000; i++) {
    std::string line = "{\"index\":" + std::to_string(500 + i) + ",\"issuer\":\"CN=Example CA,O=Example\"}\n";
    b.Add(line);
    ndjson += line;
  }
  EXPECT_EQ(b.count(), 2000u);
  EXPECT_EQ(b.last(), 2499u);
  auto key = b.Key("slug", GetParam());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, SegmentKey("slug", 500, 2499, GetParam()));
  auto packed = b.Compress(GetParam());
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  EXPECT_LT(packed->size(), ndjson.size() / 5);
  auto text = DecompressSegment(*packed, GetParam());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, ndjson);
  EXPECT_EQ(*b.Ndjson(), ndjson);
  // The other compression: the whole segment re-encoded.
  Compression other = GetParam() == Compression::kGzip ? Compression::kZstd : Compression::kGzip;
  EXPECT_EQ(*DecompressSegment(*b.Compress(other), other), ndjson);
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 2000);
}

// Sizes from a few bytes to multi-MB frames of nearly incompressible records (zstd stores raw
// blocks), each decoded after all were compressed; cut short, each is refused. Inputs whose bound
// is at most 1 MiB go through a per-thread scratch buffer: each result is still its own string, at
// its real size, whatever was compressed after it.
TEST_P(CodecTest, SmallAndMultiMegabyteInputsRoundTrip) {
  std::mt19937 rng(7);
  std::vector<std::string> inputs, outputs;
  for (size_t size : {size_t(10), size_t(150000), size_t(900000), size_t(1 << 20) + 600,
                      size_t(3 << 20), size_t(2000)}) {
    std::string in;
    while (in.size() < size) in += "{\"i\":" + std::to_string(rng() % 1000000) + "}\n";
    in.resize(size);
    auto packed = CompressSegment(in, GetParam());
    ASSERT_TRUE(packed.ok());
    if (size <= 900000) {  // through the scratch buffer: allocated at its real size
      EXPECT_LE(packed->capacity(), std::max<size_t>(packed->size() * 2, 64)) << size;
    }
    inputs.push_back(std::move(in));
    outputs.push_back(std::move(*packed));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto text = DecompressSegment(outputs[i], GetParam());
    ASSERT_TRUE(text.ok()) << i << ": " << text.status().ToString();
    EXPECT_EQ(*text, inputs[i]) << i;
    for (size_t cut : {outputs[i].size() / 2, outputs[i].size() - 1}) {
      EXPECT_EQ(DecompressSegment(outputs[i].substr(0, cut), GetParam()).status().code(), Code::kCorrupt)
          << i << " cut at " << cut;
    }
  }
}

TEST_P(CodecTest, AllLevelsRoundTrip) {
  std::string in = "{\"a\":1}\n{\"b\":2}\n";
  for (int level : {0, 1, 6, 12}) {
    auto packed = CompressSegment(in, GetParam(), level);
    ASSERT_TRUE(packed.ok());
    EXPECT_EQ(*DecompressSegment(*packed, GetParam()), in) << level;
  }
}

TEST_P(CodecTest, HostileBytesAreCorruptNotCrash) {
  auto packed = CompressSegment(std::string(100000, 'x'), GetParam());
  ASSERT_TRUE(packed.ok());
  // Truncated.
  auto t = DecompressSegment(packed->substr(0, packed->size() / 2), GetParam());
  EXPECT_EQ(t.status().code(), Code::kCorrupt);
  // Empty.
  EXPECT_EQ(DecompressSegment("", GetParam()).status().code(), Code::kCorrupt);
  // Bomb guard.
  EXPECT_EQ(DecompressSegment(*packed, GetParam(), 1000).status().code(), Code::kCorrupt);
  // Random garbage and bit flips never crash.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; i++) {
    std::string g = *packed;
    g[rng() % g.size()] ^= static_cast<char>(1 + rng() % 255);
    (void)DecompressSegment(g, GetParam());
    std::string r(1 + rng() % 300, '\0');
    for (auto& c : r) c = static_cast<char>(rng());
    EXPECT_FALSE(DecompressSegment(r, GetParam()).ok());  // no valid magic: always rejected
  }
}

INSTANTIATE_TEST_SUITE_P(Both, CodecTest, ::testing::Values(Compression::kGzip, Compression::kZstd),
                         [](const auto& i) { return std::string(CompressionName(i.param)); });

TEST(Zstd, ConcatenatedFramesDecode) {
  auto a = CompressSegment("a\n", Compression::kZstd);
  auto b = CompressSegment("b\n", Compression::kZstd);
  EXPECT_EQ(*DecompressSegment(*a + *b, Compression::kZstd), "a\nb\n");
  EXPECT_EQ(DecompressSegment(*a + b->substr(0, b->size() - 1), Compression::kZstd).status().code(),
            Code::kCorrupt);
}

TEST(SegmentBuilder, EmptyHasNoKey) {
  SegmentBuilder b(7);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.Key("s", Compression::kGzip).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(b.Compress(Compression::kGzip).status().code(), Code::kInvalidArgument);
}

std::string Line(uint64_t i) { return "{\"index\":" + std::to_string(i) + ",\"x\":\"" + std::string(i % 37, 'a') + "\"}\n"; }

// A segment's bytes are its pieces (one member/frame per kPieceEntries-aligned run of records), so
// records added one by one and pieces compressed elsewhere (AddPacked) give the same bytes.
TEST_P(CodecTest, PiecesAtAlignedIndexesWhateverTheRecordsCameIn) {
  const uint64_t first = 1000, last = 2400;  // 1000..1023 | 1024..1279 | ... | 2304..2400
  SegmentBuilder one_by_one(first, GetParam());
  std::string ndjson;
  for (uint64_t i = first; i <= last; ++i) {
    one_by_one.Add(Line(i));
    ndjson += Line(i);
  }
  SegmentBuilder mixed(first, GetParam());
  uint64_t i = first;
  while (i <= last) {
    uint64_t end = std::min<uint64_t>((i / kPieceEntries + 1) * kPieceEntries, last + 1);
    if ((i / kPieceEntries) % 2 == 1 && mixed.AtPieceStart()) {  // every other piece packed
      std::string text;
      for (uint64_t j = i; j < end; ++j) text += Line(j);
      mixed.AddPacked(end - i, *CompressSegment(text, GetParam()));
      i = end;
    } else {
      mixed.Add(Line(i++));
    }
  }
  EXPECT_EQ(mixed.count(), last - first + 1);
  auto a = one_by_one.Compress(GetParam()), b = mixed.Compress(GetParam());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);  // byte for byte
  EXPECT_EQ(*DecompressSegment(*a, GetParam()), ndjson);
  // And it is several members/frames, each a valid stream of its own: the first piece alone.
  std::string head;
  for (uint64_t j = first; j < 1024; ++j) head += Line(j);
  EXPECT_EQ(a->substr(0, CompressSegment(head, GetParam())->size()), *CompressSegment(head, GetParam()));
}

// Stack words left by earlier calls, where the compressor's state will lie.
__attribute__((noinline)) void DirtyStack(uint16_t value) {
  volatile uint16_t junk[128 * 1024];  // the stream is ~80 KB
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; ++i) junk[i] = value;
}

// A piece's bytes depend only on its records: not on what the stack held before (ISA-L's
// isal_deflate_stateless_init leaves the stream's hist_bits, the log2 of the match window, as it was:
// on an uninitialised stream a small leftover value such as 10 made the same records compress to
// other, larger bytes).
TEST(Gzip, TheSameRecordsGiveTheSameBytesWhateverTheStackHeld) {
  std::string in;
  for (uint64_t i = 0; i < 3000; ++i) in += Line(i);
  std::vector<std::string> got;
  for (uint16_t v : {0, 10, 12, 9, 0xffff, 0}) {
    DirtyStack(v);
    auto z = CompressSegment(in, Compression::kGzip);
    ASSERT_TRUE(z.ok());
    got.push_back(*z);
  }
  for (size_t i = 1; i < got.size(); ++i) EXPECT_TRUE(got[i] == got[0]) << i;
  EXPECT_EQ(*DecompressSegment(got[0], Compression::kGzip), in);
}

// The writer joins every segment into one buffer of its own (CompressTo): the same bytes as
// Compress, and a next segment a little larger than the first fits without a fresh allocation (whose
// ~10 MB of fresh pages were faulted in again for every segment).
TEST_P(CodecTest, CompressToReusesOneBufferForSegmentAfterSegment) {
  std::string buf = "stale";
  SegmentBuilder empty(0, GetParam());
  EXPECT_EQ(empty.CompressTo(GetParam(), 0, &buf).code(), Code::kInvalidArgument);
  EXPECT_TRUE(buf.empty());
  const char* data = nullptr;
  for (uint64_t n : {2000, 2100, 1500}) {  // records per segment: the second 5 % larger
    SegmentBuilder b(n * 10, GetParam());
    for (uint64_t i = 0; i < n; ++i) b.Add(Line(n * 10 + i));
    ASSERT_TRUE(b.CompressTo(GetParam(), 0, &buf).ok());
    auto want = b.Compress(GetParam());
    ASSERT_TRUE(want.ok());
    EXPECT_TRUE(buf == *want) << n;
    if (!data) data = buf.data();
    EXPECT_EQ(buf.data(), data) << n;  // the same memory for every segment
  }
}

// The default gzip is ISA-L's igzip (segment.cc); cross-checked here against libdeflate's decoder
// and zlib (DecompressSegment), both of which check the trailer's crc32 and size: empty input, one
// record, a piece's worth of records, 4 MB of records (beyond the per-thread scratch buffer),
// incompressible bytes (stored blocks: the output bound), each one plain gzip member.
TEST(Gzip, DefaultOutputIsOneMemberThatOtherDecodersRead) {
  std::mt19937 rng(11);
  std::string records, large, noise(300000, '\0'), big_noise((1 << 20) + 7, '\0');
  for (int i = 0; large.size() < (4u << 20); i++) {
    large += "{\"index\":" + std::to_string(i) + ",\"cn\":\"host" + std::to_string(rng() % 50000) +
             ".example.com\",\"issuer\":\"CN=Example CA,O=Example\"}\n";
    if (large.size() < 200000) records = large;
  }
  const std::string small = large.substr(0, large.find('\n') + 1);
  for (auto& c : noise) c = static_cast<char>(rng());
  for (auto& c : big_noise) c = static_cast<char>(rng());
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> d(
      libdeflate_alloc_decompressor(), &libdeflate_free_decompressor);
  const std::string empty;
  for (const std::string* in : std::initializer_list<const std::string*>{
           &empty, &small, &records, &large, &noise, &big_noise}) {
    auto packed = CompressSegment(*in, Compression::kGzip);
    ASSERT_TRUE(packed.ok()) << in->size() << ": " << packed.status().ToString();
    ASSERT_GE(packed->size(), 18u);
    EXPECT_EQ(packed->substr(0, 4), std::string("\x1f\x8b\x08\x00", 4));
    std::string out(in->size() + 1, '\0');
    size_t in_used = 0, out_n = 0;
    ASSERT_EQ(libdeflate_gzip_decompress_ex(d.get(), packed->data(), packed->size(), out.data(),
                                            out.size(), &in_used, &out_n),
              LIBDEFLATE_SUCCESS)
        << in->size();
    EXPECT_EQ(in_used, packed->size()) << in->size();  // one member, nothing after it
    out.resize(out_n);
    EXPECT_EQ(out, *in) << in->size();
    auto z = DecompressSegment(*packed, Compression::kGzip);
    ASSERT_TRUE(z.ok()) << in->size() << ": " << z.status().ToString();
    EXPECT_EQ(*z, *in) << in->size();
    if (in == &records || in == &large) {
      EXPECT_LT(packed->size(), in->size() / 4) << in->size();
    }
  }
}

TEST(Gzip, ConcatenatedMembersDecode) {
  auto a = CompressSegment("a\n", Compression::kGzip);
  auto b = CompressSegment("b\n", Compression::kGzip);
  EXPECT_EQ(*DecompressSegment(*a + *b, Compression::kGzip), "a\nb\n");
}

}  // namespace
}  // namespace ctdl
