#include "x509/tbs_hash.h"

#include <gtest/gtest.h>

#include "x509/der.h"
#include "x509/record.h"
#include "x509/testing_der.h"

namespace ctdl::x509 {
namespace {

namespace t = testing;

const std::string kPoisonOid = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03";
const std::string kSctOid = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02";

std::string Poison() { return t::Extension(kPoisonOid, std::string("\x05\x00", 2), true); }
std::string Scts() { return t::Extension(kSctOid, t::Tlv(0x04, std::string("\x00\x00", 2))); }
std::string San() { return t::Extension(t::kOidSan, t::San({{2, std::string(200, 'a') + ".example"}})); }
std::string Ku() { return t::Extension("\x55\x1d\x0f", t::Tlv(0x03, "\x07\x80"), true); }

// The TBS TLV of a certificate built by t::Cert.
std::string TbsOf(const std::string& cert) {
  ctdl::der::Reader r(cert);
  ctdl::der::Tlv c, tbs;
  EXPECT_TRUE(r.Expect(ctdl::der::kSequence, &c));
  ctdl::der::Reader in(c.value);
  EXPECT_TRUE(in.Expect(ctdl::der::kSequence, &tbs));
  return std::string(tbs.full);
}

std::string CertWith(std::vector<std::string> exts) {
  t::CertParts p;
  p.extensions = std::move(exts);
  return t::Cert(p);
}

Hash256 Hash(const std::string& tbs) {
  Hash256 h{};
  EXPECT_TRUE(TbsNoCtSha256(tbs, &h));
  return h;
}

TEST(TbsHash, PrecertAndFinalCertificateAgree) {
  // The SAN makes the extensions longer than 127 bytes, so the lengths change size when shortened.
  Hash256 plain = Sha256(TbsOf(CertWith({San(), Ku()})));
  EXPECT_EQ(Hash(TbsOf(CertWith({San(), Poison(), Ku()}))), plain);
  EXPECT_EQ(Hash(TbsOf(CertWith({San(), Scts(), Ku()}))), plain);
  EXPECT_EQ(Hash(TbsOf(CertWith({Scts(), San(), Ku(), Poison()}))), plain);
  EXPECT_EQ(Hash(TbsOf(CertWith({San(), Ku()}))), plain);  // nothing to remove: hashed as is
}

TEST(TbsHash, ExtensionOrderMatters) {
  EXPECT_NE(Hash(TbsOf(CertWith({Ku(), Poison(), San()}))), Hash(TbsOf(CertWith({San(), Poison(), Ku()}))));
}

TEST(TbsHash, OnlyCtExtensionsDropsTheExtensionsField) {
  EXPECT_EQ(Hash(TbsOf(CertWith({Poison()}))), Sha256(TbsOf(CertWith({}))));
  EXPECT_EQ(Hash(TbsOf(CertWith({Poison(), Scts()}))), Sha256(TbsOf(CertWith({}))));
}

TEST(TbsHash, MalformedTbsIsRefused) {
  Hash256 h{};
  EXPECT_FALSE(TbsNoCtSha256("", &h));
  EXPECT_FALSE(TbsNoCtSha256("\x30\x05\x02\x01", &h));
  std::string tbs = TbsOf(CertWith({San(), Poison()}));
  EXPECT_FALSE(TbsNoCtSha256(tbs + "x", &h));
  // An extension that is not a SEQUENCE.
  std::string bad = t::Tlv(0x30, t::Tlv(0x02, "\x01") + t::Tlv(0xa3, t::Tlv(0x30, t::Tlv(0x04, "x"))));
  EXPECT_FALSE(TbsNoCtSha256(bad, &h));
  EXPECT_EQ(h, Hash256{});
}

std::string Rec(const std::string& der, FieldSet fields, std::string_view signed_tbs = {},
                const Hash256* leaf = nullptr, std::string_view error = {}) {
  RecordInput in;
  in.der = der;
  in.entry_type = signed_tbs.empty() ? "x509" : "precert";
  in.signed_tbs = signed_tbs;
  in.leaf_hash = leaf;
  in.log_id = "TnWjJ1yaEMM4W2zU3z9S6x3w4I4bjWnAsfpksWKaOd8=";
  in.log_url = "https://ct.example/log/";
  in.error = error;
  std::string out;
  AppendRecord(in, fields, &out);
  return out;
}

TEST(TbsHash, RecordFields) {
  auto fields = ParseFields("tbs_sha256,leaf_hash,log_id,log");
  ASSERT_TRUE(fields.ok());
  std::string final_cert = CertWith({San(), Scts(), Ku()});
  std::string want = "\"tbs_sha256\":\"" + HexEncode(AsView(Sha256(TbsOf(CertWith({San(), Ku()}))))) + "\"";
  EXPECT_NE(Rec(final_cert, *fields).find(want), std::string::npos);
  // A precert entry hashes the TBS the log signed, not the pre_certificate's: here a leaf TBS that
  // differs (as with a precertificate signing certificate, whose issuer the log replaces).
  std::string precert = CertWith({San(), Poison(), Ku()});
  EXPECT_NE(Rec(precert, *fields).find(want), std::string::npos);
  std::string other_tbs = TbsOf(CertWith({Ku()}));
  std::string rec = Rec(precert, *fields, other_tbs);
  EXPECT_NE(rec.find("\"tbs_sha256\":\"" + HexEncode(AsView(Sha256(other_tbs))) + "\""), std::string::npos) << rec;
  Hash256 leaf;
  leaf.fill(0xab);
  rec = Rec(final_cert, *fields, {}, &leaf);
  EXPECT_NE(rec.find(",\"leaf_hash\":\"" + Base64Encode(AsView(leaf)) +
                     "\",\"log_id\":\"TnWjJ1yaEMM4W2zU3z9S6x3w4I4bjWnAsfpksWKaOd8=\","
                     "\"log\":\"https://ct.example/log/\"}"),
            std::string::npos)
      << rec;
  EXPECT_NE(Rec(final_cert, *fields).find("\"leaf_hash\":null"), std::string::npos);
  // Entry fields stand in error records too; certificate fields do not.
  rec = Rec("junk", *fields, {}, &leaf, "bad entry");
  EXPECT_NE(rec.find("\"leaf_hash\":\"" + Base64Encode(AsView(leaf)) + "\""), std::string::npos) << rec;
  EXPECT_NE(rec.find("\"log\":\"https://ct.example/log/\""), std::string::npos) << rec;
  EXPECT_EQ(rec.find("tbs_sha256"), std::string::npos) << rec;
  rec = Rec("junk", *fields);
  EXPECT_NE(rec.find("\"log_id\":"), std::string::npos) << rec;
  EXPECT_EQ(rec.find("tbs_sha256"), std::string::npos) << rec;
}

}  // namespace
}  // namespace ctdl::x509
