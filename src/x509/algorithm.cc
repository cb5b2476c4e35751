#include "x509/algorithm.h"

#include <tuple>

#include "x509/der.h"

namespace ctdl::x509 {
namespace {

// Parameters pyca requires for the algorithms it knows (cryptography-x509 AlgorithmParameters).
enum class Params { kOptionalNull, kAbsent, kEc, kDss, kPss, kAlgorithmIdentifier };
struct AlgParams {
  std::string_view oid;
  Params params;
};
const AlgParams kAlgParams[] = {
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", Params::kOptionalNull},  // rsaEncryption
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05", Params::kOptionalNull},  // sha1WithRSA
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", Params::kOptionalNull},  // sha256WithRSA
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", Params::kOptionalNull},  // sha384WithRSA
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", Params::kOptionalNull},  // sha512WithRSA
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e", Params::kOptionalNull},  // sha224WithRSA
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a", Params::kPss},  // RSASSA-PSS
    {"\x2a\x86\x48\xce\x3d\x04\x01", Params::kOptionalNull},        // ecdsa-with-SHA1
    {"\x2a\x86\x48\xce\x3d\x04\x03\x01", Params::kOptionalNull},    // ecdsa-with-SHA224
    {"\x2a\x86\x48\xce\x3d\x04\x03\x02", Params::kOptionalNull},    // ecdsa-with-SHA256
    {"\x2a\x86\x48\xce\x3d\x04\x03\x03", Params::kOptionalNull},    // ecdsa-with-SHA384
    {"\x2a\x86\x48\xce\x3d\x04\x03\x04", Params::kOptionalNull},    // ecdsa-with-SHA512
    {"\x2a\x86\x48\xce\x38\x04\x03", Params::kOptionalNull},        // dsa-with-SHA1
    {"\x2a\x86\x48\xce\x3d\x02\x01", Params::kEc},                  // id-ecPublicKey
    {"\x2a\x86\x48\xce\x38\x04\x01", Params::kDss},                 // id-dsa
    {"\x2b\x0e\x03\x02\x1a", Params::kOptionalNull},                  // sha1
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x01", Params::kOptionalNull},  // sha256
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x02", Params::kOptionalNull},  // sha384
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x03", Params::kOptionalNull},  // sha512
    {"\x60\x86\x48\x01\x65\x03\x04\x02\x04", Params::kOptionalNull},  // sha224
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08", Params::kAlgorithmIdentifier},  // MGF1
    {"\x2b\x65\x70", Params::kAbsent},                                // Ed25519
    {"\x2b\x65\x71", Params::kAbsent},                                // Ed448
    {"\x2b\x65\x6e", Params::kAbsent},                                // X25519
    {"\x2b\x65\x6f", Params::kAbsent},                                // X448
};

const char* CheckAlgorithmIdentifier(std::string_view full, int depth);

// RSASSA-PSS-params ::= SEQUENCE { [0] hash DEFAULT sha1, [1] maskGen DEFAULT mgf1SHA1,
//   [2] saltLength INTEGER DEFAULT 20, [3] trailerField INTEGER DEFAULT 1 }  (explicit tags)
const char* CheckPssParams(std::string_view params) {
  der::Reader r(params);
  der::Tlv seq, t, inner;
  if (!r.Expect(der::kSequence, &seq) || !r.empty()) return "RSASSA-PSS parameters: not a SEQUENCE";
  der::Reader in(seq.value);
  bool present;
  for (uint8_t tag : {0xa0, 0xa1}) {
    if (!in.Optional(tag, &t, &present)) return "RSASSA-PSS parameters: malformed";
    if (present) {
      der::Reader a(t.value);
      if (!a.Next(&inner) || !a.empty()) return "RSASSA-PSS parameters: malformed";
      if (const char* why = CheckAlgorithmIdentifier(inner.full, 4)) return why;
    }
  }
  for (auto [tag, def, max] : {std::tuple<uint8_t, uint64_t, uint64_t>{0xa2, 20, 0xffff}, {0xa3, 1, 0xff}}) {
    if (!in.Optional(tag, &t, &present)) return "RSASSA-PSS parameters: malformed";
    if (present) {
      der::Reader a(t.value);
      uint64_t v;
      if (!a.Expect(der::kInteger, &inner) || !a.empty() || !der::ParseUint64(inner.value, &v) || v > max)
        return "RSASSA-PSS parameters: invalid INTEGER";
      if (v == def) return "RSASSA-PSS parameters: DEFAULT value encoded";
    }
  }
  return in.empty() ? nullptr : "RSASSA-PSS parameters: trailing data";
}

const char* CheckAlgorithmIdentifier(std::string_view full, int depth) {
  der::Reader r(full);
  der::Tlv seq, o, p;
  if (depth <= 0 || !r.Expect(der::kSequence, &seq) || !r.empty()) return "malformed AlgorithmIdentifier";
  der::Reader in(seq.value);
  if (!in.Expect(der::kOid, &o) || !der::IsValidOid(o.value)) return "malformed AlgorithmIdentifier";
  if (!in.empty() && (!in.Next(&p) || !in.empty())) return "malformed AlgorithmIdentifier";
  return CheckAlgorithmParams(o.value, p.full);
}

bool NonNegativeInteger(const der::Tlv& t) {
  return der::IsMinimalInteger(t.value) && !(uint8_t(t.value[0]) & 0x80);
}

// SpecifiedECDomain ::= SEQUENCE { version INTEGER, fieldID SEQUENCE, curve SEQUENCE,
//   base OCTET STRING, order INTEGER, cofactor INTEGER OPTIONAL, hash SEQUENCE OPTIONAL }
const char* CheckSpecifiedEcDomain(std::string_view params) {
  der::Reader r(params);
  der::Tlv seq, t;
  if (!r.Expect(der::kSequence, &seq) || !r.empty()) return "EC parameters: malformed SpecifiedECDomain";
  der::Reader in(seq.value);
  uint64_t version;
  bool present;
  if (!in.Expect(der::kInteger, &t) || !der::ParseUint64(t.value, &version) || version > 255 ||
      !in.Expect(der::kSequence, &t) || !in.Expect(der::kSequence, &t) ||
      !in.Expect(der::kOctetString, &t) || !in.Expect(der::kInteger, &t) || !NonNegativeInteger(t) ||
      !in.Optional(der::kInteger, &t, &present) || (present && !NonNegativeInteger(t)) ||
      !in.Optional(der::kSequence, &t, &present) || !in.empty())
    return "EC parameters: malformed SpecifiedECDomain";
  return nullptr;
}

}  // namespace

const char* CheckAlgorithmParams(std::string_view oid, std::string_view params) {
  for (const auto& a : kAlgParams) {
    if (a.oid != oid) continue;
    switch (a.params) {
      case Params::kOptionalNull:
        if (params.empty() || params == std::string_view("\x05\x00", 2)) return nullptr;
        return "parameters must be absent or NULL";
      case Params::kAbsent:
        return params.empty() ? nullptr : "parameters must be absent";
      case Params::kPss:
        return params.empty() ? nullptr : CheckPssParams(params);
      case Params::kAlgorithmIdentifier:
        return CheckAlgorithmIdentifier(params, 4);
      case Params::kEc: {
        if (params.empty()) return "EC parameters missing";
        uint8_t t = uint8_t(params[0]);
        if (t == der::kOid) {
          der::Reader r(params);
          der::Tlv o;
          if (!r.Next(&o) || !r.empty() || !der::IsValidOid(o.value)) return "malformed named curve OID";
          return nullptr;
        }
        if (t == der::kSequence) return CheckSpecifiedEcDomain(params);
        if (params == std::string_view("\x05\x00", 2)) return nullptr;
        return "EC parameters must be a named curve, NULL or SEQUENCE";
      }
      case Params::kDss: {
        der::Reader r(params);
        der::Tlv seq, i;
        if (!r.Expect(der::kSequence, &seq) || !r.empty()) return "DSA parameters missing or not a SEQUENCE";
        der::Reader in(seq.value);
        for (int k = 0; k < 3; ++k)
          if (!in.Expect(der::kInteger, &i)) return "DSA parameters must be three INTEGERs";
        return in.empty() ? nullptr : "DSA parameters: trailing data";
      }
    }
  }
  return nullptr;
}

}  // namespace ctdl::x509
