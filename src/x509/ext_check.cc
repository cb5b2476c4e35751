#include "x509/ext_check.h"

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "x509/der.h"
#include "x509/name.h"
#include "x509/text.h"

namespace ctdl::x509 {
namespace {

// Reads exactly one TLV with the given tag filling the whole input.
bool Single(std::string_view in, uint8_t tag, der::Tlv* out) {
  der::Reader r(in);
  return r.Expect(tag, out) && r.empty();
}

bool ValidBitString(std::string_view v) {
  if (v.empty()) return false;
  uint8_t unused = uint8_t(v[0]);
  if (unused > 7 || (v.size() == 1 && unused != 0)) return false;
  return !(unused && (uint8_t(v.back()) & ((1u << unused) - 1)));
}

const char* CheckKeyUsage(std::string_view value) {
  der::Tlv t;
  if (!Single(value, der::kBitString, &t) || !ValidBitString(t.value)) return "keyUsage: invalid BIT STRING";
  auto bit = [&](int n) {
    size_t byte = 1 + n / 8;
    return byte < t.value.size() && (uint8_t(t.value[byte]) & (0x80 >> (n % 8)));
  };
  if ((bit(7) || bit(8)) && !bit(4)) return "keyUsage: encipherOnly/decipherOnly without keyAgreement";
  return nullptr;
}

const char* CheckEku(std::string_view value) {
  der::Tlv seq, o;
  if (!Single(value, der::kSequence, &seq)) return "extendedKeyUsage: not a SEQUENCE";
  if (seq.value.empty()) return "extendedKeyUsage: empty";
  der::Reader r(seq.value);
  while (!r.empty())
    if (!r.Expect(der::kOid, &o) || !der::IsValidOid(o.value)) return "extendedKeyUsage: invalid OID";
  return nullptr;
}

const char* CheckAki(std::string_view value) {
  der::Tlv seq, t;
  if (!Single(value, der::kSequence, &seq)) return "authorityKeyIdentifier: not a SEQUENCE";
  der::Reader r(seq.value);
  bool has_issuer, has_serial, present;
  if (!r.Optional(0x80, &t, &present)) return "authorityKeyIdentifier: malformed keyIdentifier";
  if (!r.Optional(0xa1, &t, &has_issuer)) return "authorityKeyIdentifier: malformed authorityCertIssuer";
  if (has_issuer)
    if (const char* why = CheckGeneralNames(t.value)) return why;
  if (!r.Optional(0x82, &t, &has_serial) || (has_serial && !der::IsMinimalInteger(t.value)))
    return "authorityKeyIdentifier: malformed authorityCertSerialNumber";
  if (!r.empty()) return "authorityKeyIdentifier: unexpected element";
  if (has_issuer != has_serial) return "authorityKeyIdentifier: issuer and serial must come together";
  return nullptr;
}

// AuthorityInfoAccess / SubjectInfoAccess: SEQUENCE OF AccessDescription { OID, GeneralName }.
const char* CheckInfoAccess(std::string_view value) {
  der::Tlv seq, ad, o, n;
  if (!Single(value, der::kSequence, &seq)) return "infoAccess: not a SEQUENCE";
  der::Reader r(seq.value);
  while (!r.empty()) {
    if (!r.Expect(der::kSequence, &ad)) return "infoAccess: malformed AccessDescription";
    der::Reader in(ad.value);
    if (!in.Expect(der::kOid, &o) || !der::IsValidOid(o.value) || !in.Next(&n) || !in.empty())
      return "infoAccess: malformed AccessDescription";
    if (const char* why = CheckGeneralName(n)) return why;
  }
  return nullptr;
}

// CRLDistributionPoints / FreshestCRL: SEQUENCE OF DistributionPoint.
const char* CheckDistributionPoints(std::string_view value) {
  der::Tlv seq, dp, t;
  if (!Single(value, der::kSequence, &seq)) return "cRLDistributionPoints: not a SEQUENCE";
  der::Reader r(seq.value);
  while (!r.empty()) {
    if (!r.Expect(der::kSequence, &dp)) return "cRLDistributionPoints: malformed DistributionPoint";
    der::Reader in(dp.value);
    bool present;
    if (!in.Optional(0xa0, &t, &present)) return "cRLDistributionPoints: malformed distributionPoint";
    if (present) {
      der::Reader name(t.value);
      der::Tlv dpn;
      if (!name.Next(&dpn) || !name.empty()) return "cRLDistributionPoints: malformed distributionPoint";
      if (dpn.tag == 0xa0) {
        if (const char* why = CheckGeneralNames(dpn.value)) return why;
      } else if (dpn.tag == 0xa1) {
        // [1] IMPLICIT RelativeDistinguishedName: re-tag as a SET and check it as a one-RDN Name.
        std::string rdn(1, char(der::kSet));
        size_t len = dpn.value.size();
        if (len < 0x80) {
          rdn.push_back(char(len));
        } else {
          std::string l;
          for (size_t v = len; v; v >>= 8) l.insert(l.begin(), char(v & 0xff));
          rdn.push_back(char(0x80 | l.size()));
          rdn += l;
        }
        rdn.append(dpn.value);
        FormattedName f;
        Lints ignored;
        FormatName(rdn, "nameRelativeToCRLIssuer", &f, &ignored);
        if (!f.ok) return "cRLDistributionPoints: invalid nameRelativeToCRLIssuer";
      } else {
        return "cRLDistributionPoints: unknown DistributionPointName";
      }
    }
    if (!in.Optional(0x81, &t, &present) || (present && !ValidBitString(t.value)))
      return "cRLDistributionPoints: invalid reasons";
    if (!in.Optional(0xa2, &t, &present)) return "cRLDistributionPoints: malformed cRLIssuer";
    if (present)
      if (const char* why = CheckGeneralNames(t.value)) return why;
    if (!in.empty()) return "cRLDistributionPoints: trailing data";
  }
  return nullptr;
}

bool ValidDisplayText(const der::Tlv& t) {
  switch (t.tag) {
    case der::kIa5String:
      for (char c : t.value)
        if (uint8_t(c) > 0x7f) return false;
      return true;
    case der::kVisibleString:
    case der::kUtf8String:
      return text::IsValidUtf8(t.value);
    case der::kBmpString: {
      std::string s;
      return text::AppendUtf16Be(t.value, &s);
    }
    default:
      return false;
  }
}

const char* CheckPolicies(std::string_view value) {
  static constexpr std::string_view kCps = "\x2b\x06\x01\x05\x05\x07\x02\x01";
  static constexpr std::string_view kUnotice = "\x2b\x06\x01\x05\x05\x07\x02\x02";
  der::Tlv seq, info, o, quals, qinfo, qid, q;
  if (!Single(value, der::kSequence, &seq)) return "certificatePolicies: not a SEQUENCE";
  der::Reader infos(seq.value);
  while (!infos.empty()) {
    if (!infos.Expect(der::kSequence, &info)) return "certificatePolicies: malformed PolicyInformation";
    der::Reader in(info.value);
    if (!in.Expect(der::kOid, &o) || !der::IsValidOid(o.value)) return "certificatePolicies: invalid policy OID";
    if (in.empty()) continue;
    if (!in.Expect(der::kSequence, &quals) || !in.empty()) return "certificatePolicies: malformed qualifiers";
    der::Reader qr(quals.value);
    while (!qr.empty()) {
      if (!qr.Expect(der::kSequence, &qinfo)) return "certificatePolicies: malformed PolicyQualifierInfo";
      der::Reader qi(qinfo.value);
      if (!qi.Expect(der::kOid, &qid) || !der::IsValidOid(qid.value)) return "certificatePolicies: invalid qualifier OID";
      if (!qi.Next(&q) || !qi.empty()) return "certificatePolicies: malformed qualifier";
      if (q.tag == der::kIa5String) {
        if (qid.value != kCps) return "certificatePolicies: CPS URI qualifier with another OID";
        for (char c : q.value)
          if (uint8_t(c) > 0x7f) return "certificatePolicies: CPS URI is not IA5";
      } else if (q.tag == der::kSequence) {
        if (qid.value != kUnotice) return "certificatePolicies: UserNotice qualifier with another OID";
        der::Reader un(q.value);
        der::Tlv ref, txt, org, nums;
        bool present;
        if (!un.Optional(der::kSequence, &ref, &present)) return "certificatePolicies: malformed UserNotice";
        if (present) {
          der::Reader rr(ref.value);
          if (!rr.Next(&org) || !ValidDisplayText(org) || !rr.Expect(der::kSequence, &nums) || !rr.empty())
            return "certificatePolicies: malformed noticeRef";
          der::Reader nr(nums.value);
          der::Tlv num;
          while (!nr.empty()) {
            if (!nr.Expect(der::kInteger, &num) || !der::IsMinimalInteger(num.value) || (uint8_t(num.value[0]) & 0x80))
              return "certificatePolicies: invalid noticeNumbers";
          }
        }
        if (!un.empty()) {
          if (!un.Next(&txt) || !ValidDisplayText(txt) || !un.empty())
            return "certificatePolicies: malformed explicitText";
        }
      } else {
        return "certificatePolicies: qualifier is neither CPS URI nor UserNotice";
      }
    }
  }
  return nullptr;
}

const char* CheckGeneralSubtrees(std::string_view subtrees) {
  if (subtrees.empty()) return "nameConstraints: empty subtrees";
  der::Reader r(subtrees);
  while (!r.empty()) {
    der::Tlv st, base, t;
    if (!r.Expect(der::kSequence, &st)) return "nameConstraints: malformed GeneralSubtree";
    der::Reader in(st.value);
    if (!in.Next(&base)) return "nameConstraints: malformed base";
    if (base.tag == 0x87) {
      if (const char* why = CheckIpAddress(base.value, false, true)) return why;
    } else if (const char* why = CheckGeneralName(base)) {
      return why;
    }
    bool present;
    if (!in.Optional(0x80, &t, &present)) return "nameConstraints: malformed minimum";
    if (present && t.value == std::string_view("\x00", 1)) return "nameConstraints: minimum 0 encoded (DEFAULT)";
    if (!in.Optional(0x81, &t, &present) || !in.empty()) return "nameConstraints: malformed maximum";
  }
  return nullptr;
}

const char* CheckNameConstraints(std::string_view value) {
  der::Tlv seq, t;
  if (!Single(value, der::kSequence, &seq)) return "nameConstraints: not a SEQUENCE";
  if (seq.value.empty()) return "nameConstraints: neither permittedSubtrees nor excludedSubtrees";
  der::Reader r(seq.value);
  bool present;
  if (!r.Optional(0xa0, &t, &present)) return "nameConstraints: malformed";
  if (present)
    if (const char* why = CheckGeneralSubtrees(t.value)) return why;
  if (!r.Optional(0xa1, &t, &present)) return "nameConstraints: malformed";
  if (present)
    if (const char* why = CheckGeneralSubtrees(t.value)) return why;
  if (!r.empty()) return "nameConstraints: trailing data";
  return nullptr;
}

const char* CheckPolicyConstraints(std::string_view value) {
  der::Tlv seq, t;
  if (!Single(value, der::kSequence, &seq)) return "policyConstraints: not a SEQUENCE";
  if (seq.value.empty()) return "policyConstraints: neither requireExplicitPolicy nor inhibitPolicyMapping";
  der::Reader r(seq.value);
  bool present;
  uint64_t v;
  if (!r.Optional(0x80, &t, &present) || (present && !der::ParseUint64(t.value, &v)))
    return "policyConstraints: invalid requireExplicitPolicy";
  if (!r.Optional(0x81, &t, &present) || (present && !der::ParseUint64(t.value, &v)))
    return "policyConstraints: invalid inhibitPolicyMapping";
  return r.empty() ? nullptr : "policyConstraints: trailing data";
}

}  // namespace

// RFC 6962 SignedCertificateTimestampList, checked as pyca does when it reads the extension.
const char* CheckSctList(std::string_view list) {
  ByteReader r(list);
  std::string_view body, sct;
  if (!r.ReadVector(2, &body) || !r.empty()) return "invalid SCT list length";
  ByteReader items(body);
  while (!items.empty()) {
    if (!items.ReadVector(2, &sct)) return "invalid SCT length";
    ByteReader s(sct);
    uint64_t version, hash, sig;
    std::string_view log_id, ext, signature;
    uint64_t ts;
    if (!s.ReadUint(1, &version)) return "invalid SCT length";
    if (version != 0) return "invalid SCT version";
    if (!s.ReadBytes(32, &log_id) || !s.ReadUint(8, &ts) || !s.ReadVector(2, &ext) ||
        !s.ReadUint(1, &hash) || !s.ReadUint(1, &sig) || !s.ReadVector(2, &signature) || !s.empty())
      return "invalid SCT length";
    if (hash < 1 || hash > 6) return "unsupported SCT hash algorithm";
    if (sig < 1 || sig > 3) return "unsupported SCT signature algorithm";
  }
  return nullptr;
}

const char* CheckGeneralName(const der::Tlv& n) {
  switch (n.tag) {
    case 0x81: case 0x82: case 0x86:
      return text::IsValidUtf8(n.value) ? nullptr : "GeneralName: IA5String name is not valid UTF-8";
    case 0x87:
      return CheckIpAddress(n.value, true, true);
    case 0x88:
      return der::IsValidOid(n.value) ? nullptr : "GeneralName: malformed registeredID";
    case 0xa0: {
      // OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
      der::Reader o(n.value);
      der::Tlv type, value;
      if (!o.Expect(der::kOid, &type) || !der::IsValidOid(type.value) || !o.Expect(0xa0, &value) ||
          !o.empty() || !der::IsWellFormed(value.value))
        return "GeneralName: malformed otherName";
      return nullptr;
    }
    case 0xa4: {
      der::Tlv nm;
      if (!Single(n.value, der::kSequence, &nm)) return "GeneralName: malformed directoryName";
      FormattedName f;
      Lints ignored;
      FormatName(nm.value, "directoryName", &f, &ignored);
      return f.ok ? nullptr : "GeneralName: directoryName that pyca refuses";
    }
    case 0xa3: case 0xa5:
      return "GeneralName: x400Address/ediPartyName not supported";
    default:
      return "GeneralName: unknown tag";
  }
}

const char* CheckGeneralNames(std::string_view names) {
  der::Reader r(names);
  der::Tlv n;
  while (!r.empty()) {
    if (!r.Next(&n)) return "GeneralNames: malformed element";
    if (const char* why = CheckGeneralName(n)) return why;
  }
  return nullptr;
}

const char* CheckIpAddress(std::string_view v, bool allow_address, bool allow_network) {
  if (v.size() == 4 || v.size() == 16) return allow_address ? nullptr : "iPAddress: address where a network is required";
  if (v.size() != 8 && v.size() != 32) return "iPAddress: is not 4, 8, 16 or 32 bytes";
  if (!allow_network) return "iPAddress: network where an address is required";
  size_t half = v.size() / 2;
  bool in_ones = true;
  for (size_t i = 0; i < half; ++i) {
    uint8_t m = uint8_t(v[half + i]);
    for (int b = 7; b >= 0; --b) {
      bool one = (m >> b) & 1;
      if (one && !in_ones) return "iPAddress: invalid netmask";
      if (!one) in_ones = false;
    }
    if (uint8_t(v[i]) & ~m) return "iPAddress: network has host bits set";
  }
  return nullptr;
}

const char* CheckExtensionValue(std::string_view oid, std::string_view value, bool* known) {
  *known = true;
  der::Tlv t;
  uint64_t v;
  if (oid == "\x55\x1d\x0e") return Single(value, der::kOctetString, &t) ? nullptr : "subjectKeyIdentifier: not an OCTET STRING";
  if (oid == "\x55\x1d\x23") return CheckAki(value);
  if (oid == "\x55\x1d\x0f") return CheckKeyUsage(value);
  if (oid == "\x55\x1d\x25") return CheckEku(value);
  if (oid == "\x55\x1d\x20") return CheckPolicies(value);
  if (oid == "\x55\x1d\x1e") return CheckNameConstraints(value);
  if (oid == "\x55\x1d\x24") return CheckPolicyConstraints(value);
  if (oid == "\x55\x1d\x10") {  // privateKeyUsagePeriod: [0]/[1] IMPLICIT GeneralizedTime, at least one
    der::Tlv seq, p;
    if (!Single(value, der::kSequence, &seq) || seq.value.empty()) return "privateKeyUsagePeriod: malformed";
    der::Reader r(seq.value);
    for (uint8_t tag : {0x80, 0x81}) {
      bool present;
      if (!r.Optional(tag, &p, &present)) return "privateKeyUsagePeriod: malformed";
      if (present) {
        std::string s;
        der::Tlv g = p;
        g.tag = der::kGeneralizedTime;
        if (!FormatTime(g, &s)) return "privateKeyUsagePeriod: invalid GeneralizedTime";
      }
    }
    return r.empty() ? nullptr : "privateKeyUsagePeriod: trailing data";
  }
  if (oid == "\x55\x1d\x12") {  // issuerAltName
    der::Tlv seq;
    if (!Single(value, der::kSequence, &seq)) return "issuerAltName: not a SEQUENCE";
    return CheckGeneralNames(seq.value);
  }
  if (oid == "\x55\x1d\x1f" || oid == "\x55\x1d\x2e") return CheckDistributionPoints(value);
  if (oid == "\x2b\x06\x01\x05\x05\x07\x01\x01" || oid == "\x2b\x06\x01\x05\x05\x07\x01\x0b")
    return CheckInfoAccess(value);
  if (oid == "\x55\x1d\x36")
    return Single(value, der::kInteger, &t) && der::ParseUint64(t.value, &v) ? nullptr
                                                                            : "inhibitAnyPolicy: invalid INTEGER";
  *known = false;
  return nullptr;
}

}  // namespace ctdl::x509
