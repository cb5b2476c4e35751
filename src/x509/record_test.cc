#include "x509/record.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "x509/testing_der.h"

namespace ctdl {
namespace {

using namespace std::string_literals;
namespace t = x509::testing;

std::string Record(const std::string& der, FieldSet fields = 0, uint64_t index = 7) {
  RecordInput in;
  in.der = der;
  in.index = index;
  in.timestamp = 1700000000123;
  std::string out;
  AppendRecord(in, fields, &out);
  return out;
}

TEST(Record, SeedFieldsInOrder) {
  t::CertParts p;
  p.subject = t::Name({{{t::kC, 0x13, "US"}}, {{t::kO, 0x0c, "Microsoft Corporation"}},
                       {{t::kCn, 0x0c, "client.accountprotection.microsoft.com"}}});
  p.extensions = {t::Extension(t::kOidSan, t::San({{2, "client.accountprotection.microsoft.com"},
                                                   {1, "a@b.c"},
                                                   {2, "www.example.com"}}))};
  std::string der = t::Cert(p);
  std::string rec = Record(der);
  std::string fp;
  {
    auto h = Sha1(der);
    fp = HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()), ':');
  }
  EXPECT_EQ(rec, "{\"fingerprint\":\"" + fp +
                     "\",\"issuer\":\"O=Example CA,C=US\","
                     "\"subject\":\"CN=client.accountprotection.microsoft.com,O=Microsoft Corporation,C=US\","
                     "\"not_valid_before\":\"2024-01-02 00:00:00+00:00\","
                     "\"not_valid_after\":\"2025-01-02 23:59:59+00:00\","
                     "\"cn\":\"client.accountprotection.microsoft.com\","
                     "\"subjectAltName\":[\"client.accountprotection.microsoft.com\",\"www.example.com\"],"
                     "\"index\":7,\"entry_type\":\"x509\",\"timestamp\":1700000000123}\n");
}

TEST(Record, EmptySubjectNoCnNoSan) {
  t::CertParts p;
  p.subject = t::Name({});
  std::string rec = Record(t::Cert(p));
  EXPECT_NE(rec.find("\"subject\":\"\","), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"cn\":null,\"subjectAltName\":[],"), std::string::npos) << rec;
  EXPECT_EQ(rec.find("lint"), std::string::npos) << rec;
}

TEST(Record, JsonEscapingOfNames) {
  t::CertParts p;
  p.subject = t::Cn("a\"b\\c\n\x01\x7f"s);
  std::string rec = Record(t::Cert(p));
  // RFC 4514 escaping first (\" and \\), then JSON escaping of that text.
  EXPECT_NE(rec.find(R"("subject":"CN=a\\\"b\\\\c\n\u0001)" "\x7f" R"(")"), std::string::npos) << rec;
  EXPECT_NE(rec.find(R"("cn":"a\"b\\c\n\u0001)" "\x7f" R"(")"), std::string::npos) << rec;
}

TEST(Record, GeneralizedTimeAfter2049) {
  t::CertParts p;
  p.not_after = t::Gen("20510101000000Z");
  EXPECT_NE(Record(t::Cert(p)).find("\"not_valid_after\":\"2051-01-01 00:00:00+00:00\""), std::string::npos);
}

TEST(Record, InvalidTimeIsNullWithLint) {
  t::CertParts p;
  p.not_before = t::Utc("210229000000Z");
  std::string rec = Record(t::Cert(p));
  EXPECT_NE(rec.find("\"not_valid_before\":null"), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"validation\":\"Fatal\",\"lint\":[\"not_valid_before: invalid UTCTime\"]}"),
            std::string::npos)
      << rec;
}

TEST(Record, StructuralFindings) {
  struct Case {
    std::string der;
    std::string lint;
  };
  t::CertParts bad_serial;
  bad_serial.serial = "\x00\x01"s;
  t::CertParts dup;
  dup.extensions = {t::Extension(t::kOidSan, t::San({{2, "a"}})), t::Extension(t::kOidSan, t::San({{2, "b"}}))};
  t::CertParts bad_ip;
  bad_ip.extensions = {t::Extension(t::kOidSan, t::San({{7, "12345"}}))};
  t::CertParts default_critical;
  default_critical.extensions = {t::Seq({t::Tlv(0x06, t::kOidSan), t::Tlv(0x01, "\x00"s),
                                         t::Tlv(0x04, t::San({{2, "a"}}))})};
  std::string good = t::Cert(t::CertParts());
  Case cases[] = {
      {good + "x", "certificate: trailing data after the certificate"},
      {t::Cert(bad_serial), "serial: INTEGER not minimally encoded"},
      {t::Cert(dup), "extension 2.5.29.17: duplicate"},
      {t::Cert(bad_ip), "subjectAltName: iPAddress: is not 4, 8, 16 or 32 bytes"},
      {t::Cert(default_critical), "extension 2.5.29.17: critical FALSE encoded (DEFAULT)"},
  };
  for (const auto& c : cases) {
    std::string rec = Record(c.der);
    EXPECT_NE(rec.find("\"validation\":\"Fatal\""), std::string::npos) << rec;
    EXPECT_NE(rec.find("\"" + c.lint + "\""), std::string::npos) << c.lint << "\n" << rec;
  }
}

TEST(Record, TruncatedCertificateNeverCrashesAndKeepsFingerprint) {
  std::string good = t::Cert(t::CertParts());
  for (size_t n = 0; n < good.size(); ++n) {
    std::string cut = good.substr(0, n);
    std::string rec = Record(cut);
    ASSERT_EQ(rec.back(), '\n');
    auto h = Sha1(cut);
    std::string fp = HexEncode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()), ':');
    EXPECT_EQ(rec.rfind("{\"fingerprint\":\"" + fp + "\"", 0), 0u) << rec;
    EXPECT_TRUE(rec.find("\"lint\"") != std::string::npos || rec.find("\"error\"") != std::string::npos)
        << n << ": " << rec;
  }
}

TEST(Record, NotACertificateAndDecoderErrors) {
  std::string rec = Record("hello");
  EXPECT_EQ(rec.rfind("{\"fingerprint\":\"aa:f4:c6:1d:dc:c5:e8:a2:da:be:de:0f:3b:48:2c:d9:ae:a9:43:4d\","
                      "\"index\":7,\"entry_type\":\"x509\",\"timestamp\":1700000000123,"
                      "\"validation\":\"Fatal\",\"error\":\"not a certificate: certificate: bad tag 0x68, "
                      "expected SEQUENCE\"}\n",
                      0),
            0u)
      << rec;
  RecordInput in;
  in.der = "";
  in.index = 3;
  in.entry_type = "precert";
  in.error = "leaf: bad entry type 9";
  std::string out;
  AppendRecord(in, kFieldSerial, &out);
  EXPECT_EQ(out, "{\"fingerprint\":\"da:39:a3:ee:5e:6b:4b:0d:32:55:bf:ef:95:60:18:90:af:d8:07:09\","
                 "\"index\":3,\"entry_type\":\"precert\",\"timestamp\":0,"
                 "\"error\":\"leaf: bad entry type 9\"}\n");
}

TEST(Record, OptInFields) {
  t::CertParts p;
  p.serial = "\x00\x80\x01"s;
  p.extensions = {t::Extension(t::kOidSan, t::San({{7, "\x0a\x00\x00\x01"s},
                                                   {7, std::string(15, '\0') + "\x01"},
                                                   {1, "a@b.c"},
                                                   {6, "https://x/"}})),
                  t::Extension("\x55\x1d\x13"s, t::Seq({t::Tlv(0x01, "\xff"s)}), true),
                  t::Extension("\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03"s, "\x05\x00"s, true)};
  std::vector<Hash256> chain(1);
  chain[0].fill(0xab);
  RecordInput in;
  std::string der = t::Cert(p);
  in.der = der;
  in.chain_sha256 = &chain;
  auto fields = ParseFields("all");
  ASSERT_TRUE(fields.ok());
  std::string out;
  AppendRecord(in, *fields, &out);
  EXPECT_NE(out.find("\"serial\":\"8001\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"sha256\":\"" + HexEncode(AsView(Sha256(der))) + "\""), std::string::npos);
  EXPECT_NE(out.find("\"key_type\":\"EC\",\"key_bits\":256"), std::string::npos) << out;
  EXPECT_NE(out.find("\"signature_algorithm\":\"ecdsa-with-SHA256\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"san_ip\":[\"10.0.0.1\",\"::1\"]"), std::string::npos) << out;
  EXPECT_NE(out.find("\"san_email\":[\"a@b.c\"]"), std::string::npos) << out;
  EXPECT_NE(out.find("\"san_uri\":[\"https://x/\"]"), std::string::npos) << out;
  EXPECT_NE(out.find("\"is_ca\":true"), std::string::npos) << out;
  EXPECT_NE(out.find("\"sct_count\":0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"chain\":[\"abababab"), std::string::npos) << out;
  EXPECT_EQ(out.find("lint"), std::string::npos) << out;
}

TEST(ParseFields, NamesAllAndErrors) {
  auto f = ParseFields("serial, sha256,key_bits");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, FieldSet(kFieldSerial | kFieldSha256 | kFieldKey));
  auto empty = ParseFields("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, 0u);
  auto all = ParseFields("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, FieldSet((kFieldLog << 1) - 1));
  auto bad = ParseFields("serial,bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("bogus"), std::string::npos);
}

// A real certificate from the corpus: the values pyca 48 prints (checked with python3).
TEST(Record, RealCertificateMatchesPyca) {
  std::ifstream f(std::string(CTDL_SOURCE_DIR) + "/testdata/certs/luct/google-cert.pem");
  ASSERT_TRUE(f) << "testdata/certs missing";
  std::stringstream ss;
  ss << f.rdbuf();
  std::string pem = ss.str();
  size_t b = pem.find("-----BEGIN CERTIFICATE-----"), e = pem.find("-----END CERTIFICATE-----");
  ASSERT_NE(b, std::string::npos);
  std::string b64;
  for (size_t i = b + 27; i < e; ++i)
    if (!isspace(static_cast<unsigned char>(pem[i]))) b64.push_back(pem[i]);
  auto der = Base64Decode(b64);
  ASSERT_TRUE(der.ok());
  std::string rec = Record(*der, kFieldSctCount | kFieldSerial);
  EXPECT_NE(rec.find(",\"serial\":\"133392502140a8cf12801da61896855e\",\"sct_count\":2}"), std::string::npos)
      << rec;
  EXPECT_EQ(rec.rfind("{\"fingerprint\":\"ee:b4:21:e2:07:a7:35:36:27:81:a0:3a:3e:c9:6c:f5:11:a0:7f:5c\","
                      "\"issuer\":\"CN=WR2,O=Google Trust Services,C=US\",\"subject\":\"CN=*.google.com\","
                      "\"not_valid_before\":\"2025-06-02 08:35:30+00:00\","
                      "\"not_valid_after\":\"2025-08-25 08:35:29+00:00\",\"cn\":\"*.google.com\","
                      "\"subjectAltName\":[\"*.google.com\",\"*.appengine.google.com\",",
                      0),
            0u)
      << rec;
}

TEST(Record, PublicKeysPycaRefuses) {
  auto lints_of = [](const std::string& spki) {
    std::string der = t::Cert(t::CertParts{});
    size_t at = der.find(t::EcSpki());
    der.replace(at, t::EcSpki().size(), spki);
    // Lengths: the SPKI keeps its size in every case below.
    return Record(der);
  };
  std::string good = t::EcSpki();
  EXPECT_EQ(lints_of(good).find("lint"), std::string::npos);
  std::string off = good;
  off.back() ^= 1;  // y changed: not on the curve
  EXPECT_NE(lints_of(off).find("subjectPublicKeyInfo EC point: not on the curve"), std::string::npos)
      << lints_of(off);
  std::string bad_form = good;
  bad_form[bad_form.size() - 65] = 0x05;  // point format octet
  EXPECT_NE(lints_of(bad_form).find("EC point: invalid encoding"), std::string::npos) << lints_of(bad_form);
}

TEST(Record, BytesThatAreNotUtf8AreLatin1InEveryField) {
  t::CertParts p;
  p.subject = t::Cn("\xe9t\xe9");  // UTF8String holding latin-1 bytes
  p.extensions = {t::Extension(t::kOidSan, t::San({{2, "\xe9t\xe9.example"}, {1, "\xe9@x"}, {6, "http://\xe9/"}}))};
  auto fields = ParseFields("san_email,san_uri");
  ASSERT_TRUE(fields.ok());
  std::string rec = Record(t::Cert(p), *fields);
  EXPECT_NE(rec.find("\"subject\":\"CN=\xc3\xa9t\xc3\xa9\""), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"cn\":\"\xc3\xa9t\xc3\xa9\""), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"subjectAltName\":[\"\xc3\xa9t\xc3\xa9.example\"]"), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"san_email\":[\"\xc3\xa9@x\"]"), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"san_uri\":[\"http://\xc3\xa9/\"]"), std::string::npos) << rec;
  EXPECT_EQ(rec.find("\xef\xbf\xbd"), std::string::npos) << rec;  // no U+FFFD anywhere
  EXPECT_NE(rec.find("subject: UTF8String is not valid UTF-8"), std::string::npos) << rec;
  EXPECT_NE(rec.find("subjectAltName: GeneralName: IA5String name is not valid UTF-8"), std::string::npos) << rec;
}

}  // namespace
}  // namespace ctdl
