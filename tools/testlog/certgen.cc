#include "certgen.h"

#include <fmt/format.h>

namespace testlog {

namespace {

const char* kEcdsaSha256 = "1.2.840.10045.4.3.2";
const char* kRsaSha256 = "1.2.840.113549.1.1.11";

std::string SigAlg(bool ecdsa) {
  return ecdsa ? Seq(Oid(kEcdsaSha256)) : Seq(Oid(kRsaSha256) + Tlv(kNull, ""));
}

// Attribute values that exercise RFC 4514 escaping and unusual characters.
const std::vector<std::string> kTrickyOrgs = {
    "Acme, Inc.",
    "A+B Corp",
    "Quote \"Q\" Ltd",
    "Back\\slash LLC",
    "<Angle> Brackets",
    "Semi;colon SA",
    "#Hash Start",
    " Leading Space",
    "Trailing Space ",
    "Equals=Sign GmbH",
    "M\xc3\xbcller & S\xc3\xb6hne",
    "\xe6\x9d\xb1\xe4\xba\xac\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe",  // 東京株式会社
    "Plain Org",
    "Example Holdings",
};
const std::vector<std::string> kWords = {"alpha",   "bravo", "charlie", "delta",    "echo",
                                         "foxtrot", "golf",  "hotel",   "india",    "juliet",
                                         "kilo",    "lima",  "mike",    "november", "oscar"};
const std::vector<std::string> kTlds = {"com", "net", "org", "example", "test", "de", "jp"};
const std::vector<std::string> kCountries = {"US", "DE", "JP", "FR", "GB", "BR", "XX"};

bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (!(isalnum(c) || c == ' ' || c == '\'' || c == '(' || c == ')' || c == '+' || c == ',' || c == '-' ||
          c == '.' || c == '/' || c == ':' || c == '=' || c == '?'))
      return false;
  }
  return true;
}
bool Ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string Atv(const char* oid, uint8_t tag, const std::string& value) {
  std::string v = value;
  if (tag == kBmpString) v = Utf8ToUcs(value, 2);
  if (tag == kUniversalString) v = Utf8ToUcs(value, 4);
  return Seq(Oid(oid) + Tlv(tag, v));
}

}  // namespace

CertGenerator::CertGenerator(uint64_t seed, const std::vector<Issuer>* issuers,
                             std::vector<std::string> subject_spkis)
    : rng_(seed), issuers_(issuers), spkis_(std::move(subject_spkis)) {}

std::string CertGenerator::Name(uint64_t index) {
  // Directory string type for free text: mostly UTF8String, sometimes others.
  auto text_tag = [&](const std::string& s) -> uint8_t {
    uint64_t r = rng_.Below(10);
    if (r < 5) return kUtf8String;
    if (r < 7 && Printable(s)) return kPrintableString;
    if (r < 8 && Ascii(s)) return kTeletexString;
    if (r < 9) return kBmpString;
    if (Ascii(s)) return kUniversalString;
    return kUtf8String;
  };
  std::string host = fmt::format("{}{}.{}", rng_.Pick(kWords), index, rng_.Pick(kTlds));
  std::vector<std::string> rdns;
  int shape = static_cast<int>(rng_.Below(6));
  if (shape == 0) {  // CN only (typical DV)
    rdns.push_back(SetOf({Atv("2.5.4.3", text_tag(host), host)}));
  } else {
    std::string c = rng_.Pick(kCountries);
    rdns.push_back(SetOf({Atv("2.5.4.6", kPrintableString, c)}));
    if (rng_.Chance(0.5)) {
      std::string st = rng_.Pick(kWords) + " State";
      rdns.push_back(SetOf({Atv("2.5.4.8", text_tag(st), st)}));
    }
    if (rng_.Chance(0.5)) {
      std::string l = "City of " + rng_.Pick(kWords);
      rdns.push_back(SetOf({Atv("2.5.4.7", text_tag(l), l)}));
    }
    std::string org = rng_.Pick(kTrickyOrgs);
    rdns.push_back(SetOf({Atv("2.5.4.10", text_tag(org), org)}));
    if (rng_.Chance(0.3)) {
      std::string ou = "Unit " + rng_.Pick(kWords);
      rdns.push_back(SetOf({Atv("2.5.4.11", text_tag(ou), ou)}));
    }
    if (shape == 2) {  // EV-like: jurisdiction, businessCategory, serialNumber
      rdns.push_back(SetOf({Atv("1.3.6.1.4.1.311.60.2.1.3", kPrintableString, c)}));
      rdns.push_back(SetOf({Atv("2.5.4.15", kUtf8String, "Private Organization")}));
    }
    if (shape == 3) {  // multi-valued RDN: CN + serialNumber in one SET
      rdns.push_back(SetOf(
          {Atv("2.5.4.3", kUtf8String, host), Atv("2.5.4.5", kPrintableString, fmt::format("{}", index))}));
    } else {
      rdns.push_back(SetOf({Atv("2.5.4.3", text_tag(host), host)}));
    }
    if (shape == 4) {
      rdns.push_back(SetOf({Atv("1.2.840.113549.1.9.1", kIa5String, "admin@" + host)}));
      rdns.push_back(SetOf({Atv("0.9.2342.19200300.100.1.25", kIa5String, "example")}));
    }
  }
  std::string body;
  for (auto& r : rdns) body += r;
  return Seq(body);
}

static void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yy + (*m <= 2));
}

static std::string Time(int64_t secs) {
  int64_t days = secs / 86400;
  int rem = static_cast<int>(secs % 86400);
  int y, m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y >= 1950 && y < 2050) {
    return Tlv(kUtcTime, fmt::format("{:02}{:02}{:02}{:02}{:02}{:02}Z", y % 100, m, d, rem / 3600,
                                     rem / 60 % 60, rem % 60));
  }
  return Tlv(kGeneralizedTime,
             fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}Z", y, m, d, rem / 3600, rem / 60 % 60, rem % 60));
}

std::string CertGenerator::Validity() {
  int64_t not_before = 1672531200 + static_cast<int64_t>(rng_.Below(3 * 365 * 86400ULL));
  int64_t life = 90 * 86400;
  uint64_t r = rng_.Below(20);
  if (r == 0)
    life = static_cast<int64_t>(30 + rng_.Below(20)) * 365 * 86400;  // past 2050
  else if (r < 4)
    life = 398 * 86400;
  else if (r < 6)
    life = 7 * 86400 + static_cast<int64_t>(rng_.Below(86400));
  return Seq(Time(not_before) + Time(not_before + life));
}

// A TLS SignedCertificateTimestampList of 2 SCTs of the right shape (v1, ECDSA-SHA256), random bytes.
std::string CertGenerator::SctList() {
  std::string list;
  for (int i = 0; i < 2; ++i) {
    std::string sig = Seq(IntegerFromBytes(rng_.Bytes(32)) + IntegerFromBytes(rng_.Bytes(32)));
    std::string sct = std::string(1, '\0') + rng_.Bytes(32) + rng_.Bytes(8) + std::string(2, '\0') + "\x04\x03";
    sct.push_back(static_cast<char>(sig.size() >> 8));
    sct.push_back(static_cast<char>(sig.size() & 0xff));
    sct += sig;
    list.push_back(static_cast<char>(sct.size() >> 8));
    list.push_back(static_cast<char>(sct.size() & 0xff));
    list += sct;
  }
  std::string out;
  out.push_back(static_cast<char>(list.size() >> 8));
  out.push_back(static_cast<char>(list.size() & 0xff));
  return Tlv(kOctetString, out + list);
}

std::string CertGenerator::Extensions(uint64_t index, bool precert, std::string* without_poison,
                                      std::string* with_scts) {
  auto ext = [](const char* oid, bool critical, const std::string& value) {
    return Seq(Oid(oid) + (critical ? Tlv(kBoolean, "\xff") : "") + Tlv(kOctetString, value));
  };
  std::vector<std::string> exts;
  // SANs: DNS names (some wildcards), sometimes IPs, emails, URIs.
  std::string names;
  int ndns = 1 + static_cast<int>(rng_.Below(4));
  for (int i = 0; i < ndns; ++i) {
    std::string n = fmt::format("{}{}-{}.{}", i == 1 && rng_.Chance(0.5) ? "*." : "", rng_.Pick(kWords),
                                index, rng_.Pick(kTlds));
    names += Tlv(0x82, n);
  }
  if (rng_.Chance(0.15)) names += Tlv(0x87, rng_.Bytes(4));
  if (rng_.Chance(0.05)) names += Tlv(0x87, rng_.Bytes(16));
  if (rng_.Chance(0.05)) names += Tlv(0x81, fmt::format("user{}@{}.org", index, rng_.Pick(kWords)));
  if (rng_.Chance(0.03)) names += Tlv(0x86, fmt::format("https://{}.test/x", rng_.Pick(kWords)));
  exts.push_back(ext("2.5.29.17", false, Seq(names)));
  exts.push_back(ext("2.5.29.15", true, Tlv(kBitString, std::string("\x07\x80", 2))));
  exts.push_back(
      ext("2.5.29.37", false,
          Seq(Oid("1.3.6.1.5.5.7.3.1") + (rng_.Chance(0.5) ? Oid("1.3.6.1.5.5.7.3.2") : std::string()))));
  exts.push_back(ext("2.5.29.19", true, Seq("")));
  exts.push_back(ext("2.5.29.14", false, Tlv(kOctetString, rng_.Bytes(20))));
  exts.push_back(ext("2.5.29.35", false, Seq(Tlv(0x80, rng_.Bytes(20)))));
  if (rng_.Chance(0.7)) exts.push_back(ext("2.5.29.32", false, Seq(Seq(Oid("2.23.140.1.2.1")))));
  std::string body;
  for (auto& e : exts) body += e;
  if (!precert) return Tlv(0xa3, Seq(body));
  *without_poison = Tlv(0xa3, Seq(body));
  // The poison goes in the middle, as real CAs do; removing it must keep the others in order.
  size_t pos = exts.size() / 2;
  if (with_scts) {
    std::string final_body;
    for (size_t i = 0; i < exts.size(); ++i)
      final_body += (i == pos ? ext("1.3.6.1.4.1.11129.2.4.2", false, SctList()) : std::string()) + exts[i];
    *with_scts = Tlv(0xa3, Seq(final_body));
  }
  exts.insert(exts.begin() + static_cast<long>(pos), ext("1.3.6.1.4.1.11129.2.4.3", true, Tlv(kNull, "")));
  body.clear();
  for (auto& e : exts) body += e;
  return Tlv(0xa3, Seq(body));
}

std::string CertGenerator::Tbs(const std::string& serial, const Issuer& iss, const std::string& validity,
                               const std::string& subject, const std::string& spki, const std::string& exts) {
  return Seq(Tlv(0xa0, Integer(2)) + serial + SigAlg(iss.ecdsa) + iss.name_der + validity + subject + spki +
             exts);
}

std::string CertGenerator::Signature(bool ecdsa) {
  std::string sig;
  if (ecdsa) {
    sig = Seq(IntegerFromBytes(rng_.Bytes(32)) + IntegerFromBytes(rng_.Bytes(32)));
  } else {
    sig = rng_.Bytes(256);
    sig[0] = static_cast<char>(sig[0] & 0x7f);
  }
  return sig;
}

GeneratedCert CertGenerator::Next(uint64_t index, bool precert, bool with_final) {
  GeneratedCert out;
  out.precert = precert;
  out.issuer = static_cast<int>(rng_.Below(issuers_->size()));
  const Issuer& iss = (*issuers_)[out.issuer];
  std::string serial_bytes = rng_.Bytes(16);
  serial_bytes[0] = static_cast<char>((serial_bytes[0] & 0x7f) | 0x01);
  std::string serial = IntegerFromBytes(serial_bytes);
  std::string validity = Validity();
  std::string subject = Name(index);
  const std::string& spki = rng_.Pick(spkis_);
  std::string without, with_scts;
  with_final = with_final && precert;
  std::string exts = Extensions(index, precert, &without, with_final ? &with_scts : nullptr);
  std::string tbs = Tbs(serial, iss, validity, subject, spki, exts);
  if (precert) out.tbs_for_leaf = Tbs(serial, iss, validity, subject, spki, without);
  out.cert_der = Seq(tbs + SigAlg(iss.ecdsa) + BitString(Signature(iss.ecdsa)));
  if (with_final)
    out.final_der = Seq(Tbs(serial, iss, validity, subject, spki, with_scts) + SigAlg(iss.ecdsa) +
                        BitString(Signature(iss.ecdsa)));
  return out;
}

}  // namespace testlog
