#include "x509/der.h"

#include <gtest/gtest.h>

#include <string>

namespace ctdl::der {
namespace {

using std::string_literals::operator""s;

TEST(DerReader, ReadsShortAndLongLengths) {
  std::string data = "\x04\x02hi"s + "\x30\x81\x80"s + std::string(128, 'x');
  Reader r(data);
  Tlv t;
  ASSERT_TRUE(r.Next(&t));
  EXPECT_EQ(t.tag, kOctetString);
  EXPECT_EQ(t.value, "hi");
  EXPECT_EQ(t.full.size(), 4u);
  ASSERT_TRUE(r.Next(&t));
  EXPECT_EQ(t.tag, kSequence);
  EXPECT_EQ(t.value.size(), 128u);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.Next(&t));
  EXPECT_EQ(r.error(), Error::kTruncated);
}

TEST(DerReader, RejectsMalformedLengths) {
  struct Case {
    std::string bytes;
    Error error;
  } cases[] = {
      {"\x04\x05hi"s, Error::kLengthOverrun},
      {"\x04\x80hi\x00\x00"s, Error::kIndefinite},
      {"\x04\x81\x02hi"s, Error::kNonMinimalLength},
      {"\x04\x82\x00\x02hi"s, Error::kNonMinimalLength},
      {"\x04\x85\x01\x00\x00\x00\x00"s, Error::kTooLong},
      {"\x1f\x01\x00"s, Error::kHighTag},
      {"\x04"s, Error::kTruncated},
      {"\x04\x82\x01"s, Error::kTruncated},
  };
  for (const auto& c : cases) {
    Reader r(c.bytes);
    Tlv t;
    EXPECT_FALSE(r.Next(&t)) << testing::PrintToString(c.bytes);
    EXPECT_EQ(r.error(), c.error) << testing::PrintToString(c.bytes);
    EXPECT_TRUE(r.empty());
  }
}

TEST(DerReader, ExpectAndOptional) {
  std::string data = "\x02\x01\x05\x05\x00"s;
  Reader r(data);
  Tlv t;
  bool present = true;
  EXPECT_TRUE(r.Optional(0xa0, &t, &present));
  EXPECT_FALSE(present);
  EXPECT_FALSE(r.Expect(kSequence, &t));
  EXPECT_EQ(r.error(), Error::kNone);
  EXPECT_TRUE(r.Expect(kInteger, &t));
  EXPECT_EQ(t.value, "\x05");
  EXPECT_TRUE(r.Optional(kNull, &t, &present));
  EXPECT_TRUE(present);
}

TEST(Der, WellFormed) {
  EXPECT_TRUE(IsWellFormed("\x30\x03\x02\x01\x01"s));
  EXPECT_FALSE(IsWellFormed("\x30\x03\x02\x02\x01"s));      // inner overrun
  EXPECT_FALSE(IsWellFormed("\x30\x03\x02\x01\x01\x00"s));  // trailing data
  EXPECT_FALSE(IsWellFormed(""));
  std::string deep = "\x05\x00"s;
  for (int i = 0; i < 40; ++i) deep = "\x30"s + char(deep.size()) + deep;
  EXPECT_FALSE(IsWellFormed(deep));  // deeper than the default limit of 32
  EXPECT_TRUE(IsWellFormed(deep, 64));
}

TEST(Der, Integers) {
  EXPECT_TRUE(IsMinimalInteger("\x00"s));
  EXPECT_TRUE(IsMinimalInteger("\x00\x80"s));
  EXPECT_FALSE(IsMinimalInteger("\x00\x7f"s));
  EXPECT_FALSE(IsMinimalInteger("\xff\x80"s));
  EXPECT_FALSE(IsMinimalInteger(""));
  uint64_t v = 0;
  EXPECT_TRUE(ParseUint64("\x00\xff"s, &v));
  EXPECT_EQ(v, 255u);
  EXPECT_FALSE(ParseUint64("\x80"s, &v));  // negative
  EXPECT_FALSE(ParseUint64("\x01\x00\x00\x00\x00\x00\x00\x00\x00"s, &v));
}

TEST(Der, OidDotted) {
  std::string s;
  EXPECT_TRUE(AppendOidDotted("\x55\x04\x03"s, &s));
  EXPECT_EQ(s, "2.5.4.3");
  s.clear();
  EXPECT_TRUE(AppendOidDotted("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"s, &s));
  EXPECT_EQ(s, "1.2.840.113549.1.9.1");
  s.clear();
  EXPECT_TRUE(AppendOidDotted("\x88\x37\x01"s, &s));  // first arc 2, second 999
  EXPECT_EQ(s, "2.999.1");
  s.clear();
  // An arc beyond 64 bits: 1.2.99999999999999999999999 (pyca prints it in full).
  EXPECT_TRUE(AppendOidDotted("\x2a\xd4\xda\x82\xe3\xf8\xa9\xaf\xb3\xff\xff\x7f"s, &s));
  EXPECT_EQ(s, "1.2.99999999999999999999999");
  s.clear();
  EXPECT_FALSE(AppendOidDotted("", &s));
  EXPECT_FALSE(AppendOidDotted("\x2a\x80\x01"s, &s));  // non-minimal
  EXPECT_FALSE(AppendOidDotted("\x2a\x86"s, &s));      // truncated
  EXPECT_FALSE(AppendOidDotted(std::string(64, '\x01'), &s));  // pyca: OidTooLong
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace ctdl::der
