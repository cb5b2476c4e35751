// Test-only DER builder (used by *_test.cc): assembles certificates from raw parts so tests can make
// names, times and extensions that real issuers would refuse to write. The signature is junk.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace ctdl::x509::testing {

inline std::string Tlv(unsigned char tag, const std::string& v) {
  std::string out(1, char(tag));
  size_t n = v.size();
  if (n < 0x80) {
    out.push_back(char(n));
  } else if (n < 0x100) {
    out += "\x81";
    out.push_back(char(n));
  } else {
    out += "\x82";
    out.push_back(char(n >> 8));
    out.push_back(char(n & 0xff));
  }
  return out + v;
}
inline std::string Seq(std::initializer_list<std::string> items) {
  std::string s;
  for (const auto& i : items) s += i;
  return Tlv(0x30, s);
}
inline std::string SeqOf(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += i;
  return Tlv(0x30, s);
}

struct Atv {
  std::string oid;  // contents octets
  unsigned char tag;
  std::string value;
};
constexpr char kCn[] = "\x55\x04\x03";
constexpr char kO[] = "\x55\x04\x0a";
constexpr char kC[] = "\x55\x04\x06";

// Name from RDNs (each a list of attributes, written in the given order).
inline std::string Name(const std::vector<std::vector<Atv>>& rdns) {
  std::string s;
  for (const auto& rdn : rdns) {
    std::string set;
    for (const auto& a : rdn) set += Seq({Tlv(0x06, a.oid), Tlv(a.tag, a.value)});
    s += Tlv(0x31, set);
  }
  return Tlv(0x30, s);
}
inline std::string Cn(const std::string& v, unsigned char tag = 0x0c) { return Name({{{kCn, tag, v}}}); }

inline std::string Utc(const std::string& s) { return Tlv(0x17, s); }
inline std::string Gen(const std::string& s) { return Tlv(0x18, s); }

inline std::string Extension(const std::string& oid, const std::string& value, bool critical = false) {
  return Seq({Tlv(0x06, oid), critical ? Tlv(0x01, "\xff") : std::string(), Tlv(0x04, value)});
}
inline std::string San(const std::vector<std::pair<int, std::string>>& names) {
  std::string s;
  for (const auto& [t, v] : names) s += Tlv(0x80 | t, v);
  return Tlv(0x30, s);
}
constexpr char kOidSan[] = "\x55\x1d\x11";

struct CertParts {
  std::string subject = Cn("leaf.example");
  std::string issuer = Name({{{kC, 0x13, "US"}}, {{kO, 0x0c, "Example CA"}}});
  std::string not_before = Utc("240102000000Z");
  std::string not_after = Utc("250102235959Z");
  std::vector<std::string> extensions;
  std::string serial = std::string("\x01\x02", 2);
};

// A point on P-256 (the key of tests/lib/pyca_oracle.py EC_SPKI).
inline const std::string kP256Point =
    "\x28\x8e\x8a\xd1\x44\x55\x51\xa0\x9e\x1f\x01\x1b\xfb\xdc\x73\x58\x81\x54\xe3\x04\x83\x81\xf9\x5d\xc4\x42\x2e\xcf\xc5\x2d\xbd\x38\xb3\xf9\x81\x46\x9a\x0b\x68\x56\xe0\x69\x09\x0a\x85\x3e\x58\x29\xf4\x2b\x63\x54\x7f\x6a\xdd\x22\xef\x06\x16\x3a\xc9\xb0\x25\x92";

inline std::string EcSpki() {
  return Seq({Seq({Tlv(0x06, "\x2a\x86\x48\xce\x3d\x02\x01"), Tlv(0x06, "\x2a\x86\x48\xce\x3d\x03\x01\x07")}),
              Tlv(0x03, std::string("\x00\x04", 2) + kP256Point)});
}

inline std::string Cert(const CertParts& p) {
  std::string alg = Seq({Tlv(0x06, "\x2a\x86\x48\xce\x3d\x04\x03\x02")});
  std::string tbs = Tlv(0xa0, Tlv(0x02, "\x02")) + Tlv(0x02, p.serial) + alg + p.issuer +
                    Seq({p.not_before, p.not_after}) + p.subject + EcSpki();
  if (!p.extensions.empty()) tbs += Tlv(0xa3, SeqOf(p.extensions));
  return Seq({Tlv(0x30, tbs), alg, Tlv(0x03, std::string("\x00\x30\x06\x02\x01\x01\x02\x01\x02", 9))});
}

}  // namespace ctdl::x509::testing
