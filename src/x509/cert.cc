#include "x509/cert.h"

#include <string>

#include "base/bytes.h"
#include "x509/algorithm.h"
#include "x509/ext_check.h"
#include "x509/key_check.h"
#include "x509/text.h"

namespace ctdl::x509 {
namespace {

constexpr std::string_view kOidSan = "\x55\x1d\x11";
constexpr std::string_view kOidBasicConstraints = "\x55\x1d\x13";
constexpr std::string_view kOidSctList = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02";
constexpr std::string_view kOidPoison = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03";

// Extensions pyca decodes when the extensions are read (id-ce 2.5.29.*, id-pe 1.3.6.1.5.5.7.1.*,
// CT 1.3.6.1.4.1.11129.2.4.*): malformed DER in them makes pyca refuse the extensions.
bool IsParsedByPyca(std::string_view oid) {
  return (oid.size() == 3 && oid.substr(0, 2) == "\x55\x1d") ||
         oid == "\x2b\x06\x01\x05\x05\x07\x01\x18" ||  // TLS feature
         (oid.size() == 10 && oid.substr(0, 9) == "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04" &&
          (oid[9] == 2 || oid[9] == 3 || oid[9] == 5));
}

void Lint(CertView* c, std::string s) { c->lints.push_back(std::move(s)); }

std::string Where(std::string_view field, const der::Reader& r, std::string_view expected) {
  std::string s(field);
  if (r.error() != der::Error::kNone) {
    s += ": ";
    s += der::ErrorText(r.error());
  } else if (r.empty()) {
    s += ": missing";
  } else {
    static const char kHex[] = "0123456789abcdef";
    int t = r.PeekTag();
    s += ": bad tag 0x";
    s += kHex[t >> 4];
    s += kHex[t & 15];
    s += ", expected ";
    s += expected;
  }
  return s;
}

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
bool ReadAlgorithm(der::Reader* r, std::string_view field, std::string_view* oid,
                   std::string_view* params, CertView* c) {
  der::Tlv seq, o, p;
  if (!r->Expect(der::kSequence, &seq)) {
    Lint(c, Where(field, *r, "SEQUENCE"));
    return false;
  }
  der::Reader in(seq.value);
  if (!in.Expect(der::kOid, &o)) {
    Lint(c, Where(std::string(field) + " algorithm", in, "OID"));
    return false;
  }
  if (!der::IsValidOid(o.value)) Lint(c, std::string(field) + ": malformed OID");
  *oid = o.value;
  if (params) *params = {};
  if (!in.empty()) {
    if (!in.Next(&p)) {
      Lint(c, Where(std::string(field) + " parameters", in, "any"));
      return true;
    }
    if (params) *params = p.full;
    if (!in.empty()) Lint(c, std::string(field) + ": trailing data");
  }
  if (const char* why = CheckAlgorithmParams(o.value, p.full))
    Lint(c, std::string(field) + ": " + why);
  return true;
}

// BIT STRING contents: unused-bit count 0..7, zero when empty, unused bits zero (DER).
bool IsValidBitString(std::string_view v) {
  if (v.empty()) return false;
  uint8_t unused = uint8_t(v[0]);
  if (unused > 7 || (v.size() == 1 && unused != 0)) return false;
  if (unused && (uint8_t(v.back()) & ((1u << unused) - 1))) return false;
  return true;
}

bool ReadBoolean(const der::Tlv& t, bool* v) {
  if (t.value.size() != 1) return false;
  uint8_t b = uint8_t(t.value[0]);
  if (b != 0 && b != 0xff) return false;
  *v = b != 0;
  return true;
}

void CheckSan(std::string_view value, CertView* c) {
  der::Reader r(value);
  der::Tlv seq;
  if (!r.Expect(der::kSequence, &seq) || !r.empty()) {
    Lint(c, "subjectAltName: not a single GeneralNames SEQUENCE");
    c->extensions_ok = false;
    return;
  }
  c->has_san = true;
  c->san = seq.value;
  der::Reader names(seq.value);
  while (!names.empty()) {
    der::Tlv n;
    if (!names.Next(&n)) {
      Lint(c, std::string("subjectAltName: malformed GeneralName: ") + der::ErrorText(names.error()));
      c->extensions_ok = false;
      return;
    }
    if (const char* why = CheckGeneralName(n)) {
      Lint(c, std::string("subjectAltName: ") + why);
      c->extensions_ok = false;
    }
  }
}

void CheckBasicConstraints(std::string_view value, CertView* c) {
  c->has_basic_constraints = true;
  der::Reader r(value);
  der::Tlv seq, t;
  auto bad = [&](const char* what) {
    Lint(c, std::string("basicConstraints: ") + what);
    c->extensions_ok = false;
  };
  if (!r.Expect(der::kSequence, &seq) || !r.empty()) return bad("not a single SEQUENCE");
  der::Reader in(seq.value);
  bool present;
  if (!in.Optional(der::kBoolean, &t, &present)) return bad("malformed");
  if (present) {
    if (!ReadBoolean(t, &c->is_ca)) return bad("invalid BOOLEAN");
    if (!c->is_ca) bad("cA FALSE encoded (DEFAULT)");
  }
  if (!in.Optional(der::kInteger, &t, &present)) return bad("malformed");
  if (present) {
    uint64_t v;
    if (!der::ParseUint64(t.value, &v)) bad("invalid pathLenConstraint");
    else if (!c->is_ca) bad("pathLenConstraint without cA");
  }
  if (!in.empty()) bad("trailing data");
}

void ReadExtensions(std::string_view wrapped, CertView* c) {
  der::Reader outer(wrapped);
  der::Tlv seq;
  if (!outer.Expect(der::kSequence, &seq) || !outer.empty()) {
    Lint(c, "extensions: not a single SEQUENCE");
    c->extensions_ok = false;
    return;
  }
  der::Reader r(seq.value);
  std::string_view seen_small[24];
  size_t nseen = 0;
  while (!r.empty()) {
    der::Tlv ext, oid, t, value;
    if (!r.Expect(der::kSequence, &ext)) {
      Lint(c, Where("extensions", r, "Extension SEQUENCE"));
      c->extensions_ok = false;
      return;
    }
    der::Reader in(ext.value);
    if (!in.Expect(der::kOid, &oid)) {
      Lint(c, Where("extension", in, "OID"));
      c->extensions_ok = false;
      continue;
    }
    // The dotted name is only needed for findings: made lazily.
    std::string name_buf;
    auto name_of = [&]() -> const std::string& {
      if (name_buf.empty() && !der::AppendOidDotted(oid.value, &name_buf)) name_buf = "?";
      return name_buf;
    };
    if (!der::IsValidOid(oid.value)) {
      Lint(c, "extension: malformed OID");
      c->extensions_ok = false;
    }
    bool present, critical = false;
    if (!in.Optional(der::kBoolean, &t, &present)) {
      Lint(c, "extension " + name_of() + ": malformed");
      c->extensions_ok = false;
      continue;
    }
    if (present) {
      if (!ReadBoolean(t, &critical)) {
        Lint(c, "extension " + name_of() + ": invalid BOOLEAN for critical");
      } else if (!critical) {
        Lint(c, "extension " + name_of() + ": critical FALSE encoded (DEFAULT)");
      }
      if (!critical) c->extensions_ok = false;
    }
    if (!in.Expect(der::kOctetString, &value)) {
      Lint(c, Where("extension " + name_of() + " extnValue", in, "OCTET STRING"));
      c->extensions_ok = false;
      continue;
    }
    if (!in.empty()) {
      Lint(c, "extension " + name_of() + ": trailing data");
      c->extensions_ok = false;
    }
    for (size_t i = 0; i < nseen && i < 24; ++i) {
      if (seen_small[i] == oid.value) {
        Lint(c, "extension " + name_of() + ": duplicate");
        c->extensions_ok = false;
        break;
      }
    }
    if (nseen < 24) seen_small[nseen] = oid.value;
    ++nseen;
    if (oid.value == kOidSan) {
      CheckSan(value.value, c);
    } else if (oid.value == kOidBasicConstraints) {
      CheckBasicConstraints(value.value, c);
    } else if (oid.value == kOidSctList) {
      c->has_sct_list = true;
      der::Reader sr(value.value);
      der::Tlv os;
      if (sr.Expect(der::kOctetString, &os) && sr.empty()) {
        c->sct_list = os.value;
        if (const char* why = CheckSctList(os.value)) {
          Lint(c, std::string("signedCertificateTimestampList: ") + why);
          c->extensions_ok = false;
        }
      } else {
        Lint(c, "signedCertificateTimestampList: not an OCTET STRING");
        c->extensions_ok = false;
      }
    } else if (oid.value == kOidPoison) {
      c->precert_poison = true;
      if (value.value != std::string_view("\x05\x00", 2)) {
        Lint(c, "precertificate poison: value is not NULL");
        c->extensions_ok = false;
      }
    } else if (bool known; const char* why = CheckExtensionValue(oid.value, value.value, &known)) {
      Lint(c, why);
      c->extensions_ok = false;
    } else if (!known && IsParsedByPyca(oid.value) && !der::IsWellFormed(value.value)) {
      Lint(c, "extension " + name_of() + ": value is not well-formed DER");
      c->extensions_ok = false;
    }
  }
}

void ParseTbs(std::string_view tbs, CertView* c) {
  der::Reader r(tbs);
  der::Tlv t;
  bool present;
  // version [0] EXPLICIT INTEGER DEFAULT v1
  if (!r.Optional(0xa0, &t, &present)) return Lint(c, Where("version", r, "[0]"));
  if (present) {
    der::Reader v(t.value);
    der::Tlv i;
    uint64_t n = 0;
    if (!v.Expect(der::kInteger, &i) || !v.empty() || !der::ParseUint64(i.value, &n)) {
      Lint(c, "version: malformed INTEGER");
    } else if (n == 0) {
      Lint(c, "version: v1 encoded explicitly (DEFAULT)");
    } else if (n > 2) {
      Lint(c, "version: invalid version " + std::to_string(n));
    } else if (n == 1) {
      Lint(c, "version: v2 (1), which pyca does not accept (only v1 and v3)");
    } else {
      c->version = int(n);
    }
  }
  if (!r.Expect(der::kInteger, &t)) return Lint(c, Where("serial", r, "INTEGER"));
  c->has_serial = true;
  c->serial = t.value;
  if (!der::IsMinimalInteger(t.value)) Lint(c, "serial: INTEGER not minimally encoded");
  std::string_view tbs_sig;
  if (!ReadAlgorithm(&r, "signature", &tbs_sig, nullptr, c)) return;
  if (!r.Expect(der::kSequence, &t)) return Lint(c, Where("issuer", r, "Name SEQUENCE"));
  c->has_issuer = true;
  c->issuer = t.value;
  if (!r.Expect(der::kSequence, &t)) return Lint(c, Where("validity", r, "SEQUENCE"));
  {
    der::Reader v(t.value);
    auto read_time = [&](const char* field, der::Tlv* out) {
      int tag = v.PeekTag();
      if (tag != der::kUtcTime && tag != der::kGeneralizedTime) {
        Lint(c, Where(field, v, "UTCTime or GeneralizedTime"));
        return false;
      }
      if (!v.Next(out)) {
        Lint(c, Where(field, v, "UTCTime or GeneralizedTime"));
        return false;
      }
      return true;
    };
    if (read_time("not_valid_before", &c->not_before) && read_time("not_valid_after", &c->not_after)) {
      c->has_validity = true;
      if (!v.empty()) Lint(c, "validity: trailing data");
    }
  }
  if (!r.Expect(der::kSequence, &t)) return Lint(c, Where("subject", r, "Name SEQUENCE"));
  c->has_subject = true;
  c->subject = t.value;
  if (!r.Expect(der::kSequence, &t)) return Lint(c, Where("subjectPublicKeyInfo", r, "SEQUENCE"));
  {
    der::Reader s(t.value);
    der::Tlv key;
    if (ReadAlgorithm(&s, "subjectPublicKeyInfo algorithm", &c->spki_alg_oid, &c->spki_alg_params, c)) {
      if (!s.Expect(der::kBitString, &key)) {
        Lint(c, Where("subjectPublicKeyInfo key", s, "BIT STRING"));
      } else {
        c->has_spki = true;
        c->spki_key = key.value;
        if (!IsValidBitString(key.value)) Lint(c, "subjectPublicKeyInfo key: invalid BIT STRING");
        else if (const char* why = CheckPublicKey(c->spki_alg_oid, c->spki_alg_params, key.value))
          Lint(c, std::string("subjectPublicKeyInfo ") + why);
        if (!s.empty()) Lint(c, "subjectPublicKeyInfo: trailing data");
      }
    }
  }
  if (!r.Optional(0x81, &t, &present) || !r.Optional(0x82, &t, &present))
    return Lint(c, Where("uniqueID", r, "[1]/[2]"));
  if (!r.Optional(0xa3, &t, &present)) return Lint(c, Where("extensions", r, "[3]"));
  if (present) {
    ReadExtensions(t.value, c);
  }
  if (!r.empty()) Lint(c, Where("tbsCertificate", r, "end") + " (unexpected data after the last field)");
}

}  // namespace

void ParseCertificate(std::string_view der, CertView* c) {
  *c = CertView();
  der::Reader r(der);
  der::Tlv cert, tbs, sig;
  if (!r.Expect(der::kSequence, &cert)) {
    c->not_cert_reason = "not a certificate: " + Where("certificate", r, "SEQUENCE");
    return;
  }
  der::Reader in(cert.value);
  if (!in.Expect(der::kSequence, &tbs)) {
    c->not_cert_reason = "not a certificate: " + Where("tbsCertificate", in, "SEQUENCE");
    return;
  }
  c->is_cert = true;
  c->tbs = tbs.full;
  ParseTbs(tbs.value, c);
  std::string_view params;
  if (ReadAlgorithm(&in, "signatureAlgorithm", &c->sig_alg_oid, &params, c)) {
    if (!in.Expect(der::kBitString, &sig)) Lint(c, Where("signatureValue", in, "BIT STRING"));
    else if (!IsValidBitString(sig.value)) Lint(c, "signatureValue: invalid BIT STRING");
    else if (!in.empty()) Lint(c, "certificate: data after signatureValue");
  }
  if (!r.empty()) Lint(c, "certificate: trailing data after the certificate");
}

}  // namespace ctdl::x509
