#include "base/bytes.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

TEST(Bytes, HexRoundTrip) {
  EXPECT_EQ(HexEncode("\x1d\x9d\xc5", ':'), "1d:9d:c5");
  EXPECT_EQ(HexEncode(std::string("\x00\xff", 2)), "00ff");
  EXPECT_EQ(*HexDecode("00ff"), std::string("\x00\xff", 2));
  EXPECT_FALSE(HexDecode("0").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

TEST(Bytes, Base64) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm9v!mFy").ok());
  EXPECT_FALSE(Base64Decode("Zm=v").ok());
}

TEST(Bytes, Sha) {
  EXPECT_EQ(HexEncode(AsView(Sha256("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto s1 = Sha1("abc");
  EXPECT_EQ(HexEncode({reinterpret_cast<const char*>(s1.data()), s1.size()}),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Bytes, ReaderNeverOverruns) {
  ByteReader r(std::string_view("\x00\x03" "ab", 4));
  std::string_view v;
  EXPECT_FALSE(r.ReadVector(2, &v));  // claims 3 bytes, only 2 present
  EXPECT_EQ(r.position(), 0u);
  uint64_t x;
  EXPECT_TRUE(r.ReadUint(2, &x));
  EXPECT_EQ(x, 3u);
  EXPECT_FALSE(r.ReadBytes(3, &v));
  EXPECT_TRUE(r.ReadBytes(2, &v));
  EXPECT_EQ(v, "ab");
  EXPECT_TRUE(r.empty());
  std::string out;
  AppendUint(&out, 3, 0x010203);
  EXPECT_EQ(out, "\x01\x02\x03");
}

}  // namespace
}  // namespace ctdl
