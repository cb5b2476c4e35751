// The fast base64 paths (AVX2 blocks, scalar table) against the reference Base64Decode (bytes.h):
// same acceptance and same bytes for every length and every byte value at every position.
#include "base/base64.h"

#include <gtest/gtest.h>

#include <random>

#include "base/bytes.h"

namespace ctdl {
namespace {

struct Got {
  bool ok;
  std::string bytes;
};

Got Reference(std::string_view in) {
  auto r = Base64Decode(in);
  return {r.ok(), r.ok() ? *r : ""};
}

void ExpectSameAsReference(std::string_view in) {
  Got want = Reference(in);
  for (int path = 0; path < 3; ++path) {
    if (path == 1 && !CpuHasAvx2()) continue;
    std::string out = "prefix";  // appends, keeps what was there
    bool ok = path == 0   ? Base64DecodeAppendScalar(in, &out)
              : path == 1 ? Base64DecodeAppendAvx2(in, &out)
                          : Base64DecodeAppend(in, &out);
    ASSERT_EQ(ok, want.ok) << "path " << path << " input " << in;
    if (ok) {
      ASSERT_EQ(out, "prefix" + want.bytes) << "path " << path << " input " << in;
    }
  }
}

TEST(Base64Fast, EveryLengthRoundTrips) {
  std::mt19937 rng(1);
  for (size_t n = 0; n < 600; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    std::string b64 = Base64Encode(bytes);
    std::string out;
    ASSERT_TRUE(Base64DecodeAppend(b64, &out)) << n;
    ASSERT_EQ(out, bytes) << n;
    ExpectSameAsReference(b64);
  }
}

TEST(Base64Fast, EveryByteAtEveryPosition) {
  std::mt19937 rng(2);
  for (size_t n : {96, 97, 98, 200}) {  // 128, 132, 136, 268 characters: blocks, tail, padding
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    const std::string b64 = Base64Encode(bytes);
    for (size_t pos = 0; pos < b64.size(); ++pos) {
      for (int v = 0; v < 256; ++v) {
        std::string in = b64;
        in[pos] = static_cast<char>(v);
        ExpectSameAsReference(in);
      }
    }
  }
}

TEST(Base64Fast, RejectsBadLengthsAndPadding) {
  for (const char* in : {"A", "AB", "ABC", "ABCDE", "====", "A===", "AB=C", "A=BC", "AB==CDEF",
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst=v"}) {
    std::string out;
    EXPECT_FALSE(Base64DecodeAppend(in, &out)) << in;
    ExpectSameAsReference(in);
  }
  std::string out;
  EXPECT_TRUE(Base64DecodeAppend("", &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace ctdl
