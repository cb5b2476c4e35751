#include "x509/name.h"

#include <gtest/gtest.h>

#include "x509/testing_der.h"

namespace ctdl::x509 {
namespace {

using namespace std::string_literals;
using testing::Atv;
using testing::kCn;
using testing::kO;

// Formats a Name DER built by the test helper; returns rfc4514 and collects lints.
std::string Format(const std::string& name_der, Lints* lints = nullptr, FormattedName* f = nullptr) {
  der::Reader r(name_der);
  der::Tlv t;
  EXPECT_TRUE(r.Next(&t));
  FormattedName local;
  Lints local_lints;
  FormatName(t.value, "subject", f ? f : &local, lints ? lints : &local_lints);
  return (f ? f : &local)->rfc4514;
}

std::string Escaped(const std::string& v) {
  std::string out;
  AppendEscapedDnValue(v, &out);
  return out;
}

TEST(DnEscaping, AsPyca) {
  EXPECT_EQ(Escaped("plain"), "plain");
  EXPECT_EQ(Escaped(R"(a\b"c+d,e;f<g>h)"), R"(a\\b\"c\+d\,e\;f\<g\>h)");
  EXPECT_EQ(Escaped("a\0b"s), "a\\00b");
  EXPECT_EQ(Escaped("#x"), "\\#x");
  EXPECT_EQ(Escaped("x#"), "x#");
  EXPECT_EQ(Escaped(" x"), "\\ x");
  EXPECT_EQ(Escaped("x "), "x\\ ");
  EXPECT_EQ(Escaped(" "), "\\ ");  // pyca: one space is escaped once, as a trailing space
  EXPECT_EQ(Escaped("  "), "\\ \\ ");
  EXPECT_EQ(Escaped(""), "");
  EXPECT_EQ(Escaped("a=b\n"), "a=b\n");  // '=' and control characters stay as they are
}

TEST(FormatName, ReverseOrderShortNamesAndOids) {
  std::string der = testing::Name({{{testing::kC, 0x13, "US"}},
                                   {{kO, 0x0c, "DigiCert Inc"}},
                                   {{"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"s, 0x16, "a@b.c"}},
                                   {{kCn, 0x0c, "DigiCert SHA2 Secure Server CA"}}});
  FormattedName f;
  EXPECT_EQ(Format(der, nullptr, &f),
            "CN=DigiCert SHA2 Secure Server CA,1.2.840.113549.1.9.1=a@b.c,O=DigiCert Inc,C=US");
  EXPECT_TRUE(f.has_cn);
  EXPECT_EQ(f.cn, "DigiCert SHA2 Secure Server CA");
  EXPECT_TRUE(f.ok);
}

TEST(FormatName, MultiValuedRdnInDerOrder) {
  // CN (2.5.4.3) sorts before O (2.5.4.10) in DER SET OF order.
  std::string der = testing::Name({{{kCn, 0x0c, "b"}, {kO, 0x0c, "a"}}, {{testing::kC, 0x13, "DE"}}});
  Lints lints;
  EXPECT_EQ(Format(der, &lints), "C=DE,CN=b+O=a");
  EXPECT_TRUE(lints.empty());
}

TEST(FormatName, MultiValuedRdnOutOfOrderIsLinted) {
  std::string der = testing::Name({{{kO, 0x0c, "a"}, {kCn, 0x0c, "b"}}});
  Lints lints;
  EXPECT_EQ(Format(der, &lints), "O=a+CN=b");
  ASSERT_EQ(lints.size(), 1u);
  EXPECT_EQ(lints[0], "subject: multi-valued RDN not in DER SET OF order");
}

TEST(FormatName, DuplicateInRdnIsLinted) {
  Lints lints;
  Format(testing::Name({{{kCn, 0x0c, "a"}, {kCn, 0x0c, "a"}}}), &lints);
  ASSERT_EQ(lints.size(), 1u);
  EXPECT_EQ(lints[0], "subject: duplicate attribute in a multi-valued RDN");
  lints.clear();
  // The same value in two RDNs is fine (pyca prints both).
  EXPECT_EQ(Format(testing::Name({{{kCn, 0x0c, "a"}}, {{kCn, 0x0c, "a"}}}), &lints), "CN=a,CN=a");
  EXPECT_TRUE(lints.empty());
}

TEST(FormatName, EmptyNameAndEmptyValue) {
  FormattedName f;
  EXPECT_EQ(Format(testing::Name({}), nullptr, &f), "");
  EXPECT_FALSE(f.has_cn);
  EXPECT_EQ(Format(testing::Cn(""), nullptr, &f), "CN=");
  EXPECT_TRUE(f.has_cn);
  EXPECT_EQ(f.cn, "");
  Lints lints;
  Format(testing::Tlv(0x30, testing::Tlv(0x31, "")), &lints);
  ASSERT_EQ(lints.size(), 1u);
  EXPECT_EQ(lints[0], "subject: empty RDN");
}

TEST(FormatName, StringTypes) {
  Lints lints;
  EXPECT_EQ(Format(testing::Cn("\x00\xe9\xd8\x3d\xde\x00"s, 0x1e), &lints), "CN=é😀");   // BMPString
  EXPECT_EQ(Format(testing::Cn("\x00\x00\x00\xe9"s, 0x1c), &lints), "CN=é");            // UniversalString
  EXPECT_EQ(Format(testing::Cn("caf\xc3\xa9", 0x14), &lints), "CN=café");              // T61String (UTF-8 bytes)
  EXPECT_EQ(Format(testing::Cn("x", 0x1a), &lints), "CN=x");                           // VisibleString
  EXPECT_EQ(Format(testing::Cn("12", 0x12), &lints), "CN=12");                         // NumericString
  EXPECT_EQ(Format(testing::Cn("o", 0x04), &lints), "CN=o");                           // OCTET STRING
  EXPECT_EQ(Format(testing::Name({{{"\x55\x04\x2d"s, 0x03, "\x00\xab"s}}}), &lints), "2.5.4.45=#00ab");
  EXPECT_TRUE(lints.empty());
}

TEST(FormatName, ValuesPycaRefusesAreLintedAndWrittenLeniently) {
  struct Case {
    std::string name;
    std::string rendered;
    std::string lint;
  } cases[] = {
      {testing::Cn("\xe9t\xe9", 0x14), "CN=été", "subject: T61String is not valid UTF-8"},
      {testing::Cn("a*b", 0x13), "CN=a*b", "subject: PrintableString with a character outside its set"},
      {testing::Cn("\x00\x61\x00"s, 0x1e), "CN=#1e03006100", "subject: invalid BMPString (odd length or lone surrogate)"},
      {testing::Cn("\x01"s, 0x02), "CN=#020101", "subject: attribute value of unsupported type (tag 0x02)"},
      {testing::Cn("\x00\xab"s, 0x03), "CN=#00ab", "subject: BIT STRING value for an attribute other than x500UniqueIdentifier"},
  };
  for (const auto& c : cases) {
    Lints lints;
    FormattedName f;
    EXPECT_EQ(Format(c.name, &lints, &f), c.rendered);
    EXPECT_FALSE(f.ok);
    ASSERT_EQ(lints.size(), 1u) << c.rendered;
    EXPECT_EQ(lints[0], c.lint);
  }
}

std::string Time(const std::string& tlv) {
  der::Reader r(tlv);
  der::Tlv t;
  EXPECT_TRUE(r.Next(&t));
  std::string out;
  if (!FormatTime(t, &out)) return "invalid";
  return out;
}

TEST(FormatTime, UtcTimeWindowAndGeneralizedTime) {
  EXPECT_EQ(Time(testing::Utc("240102000000Z")), "2024-01-02 00:00:00+00:00");
  EXPECT_EQ(Time(testing::Utc("491231235959Z")), "2049-12-31 23:59:59+00:00");
  EXPECT_EQ(Time(testing::Utc("500101000000Z")), "1950-01-01 00:00:00+00:00");
  EXPECT_EQ(Time(testing::Utc("000229120000Z")), "2000-02-29 12:00:00+00:00");
  EXPECT_EQ(Time(testing::Gen("20500101000000Z")), "2050-01-01 00:00:00+00:00");
  EXPECT_EQ(Time(testing::Gen("00010101000000Z")), "0001-01-01 00:00:00+00:00");
  EXPECT_EQ(Time(testing::Gen("99991231235959Z")), "9999-12-31 23:59:59+00:00");
}

TEST(FormatTime, RejectsWhatPycaRejects) {
  for (const char* s : {"2401020000Z", "240102000000+0000", "210229000000Z", "240102240000Z",
                        "240102006000Z", "240102000060Z", "241301000000Z", "240100000000Z",
                        "240102000000z", "2401020000000Z", "24010200000AZ"})
    EXPECT_EQ(Time(testing::Utc(s)), "invalid") << s;
  for (const char* s : {"20200101000000.5Z", "202001010000Z", "20200101000000", "00000101000000Z"})
    EXPECT_EQ(Time(testing::Gen(s)), "invalid") << s;
}

}  // namespace
}  // namespace ctdl::x509
