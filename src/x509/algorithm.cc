#include "x509/algorithm.h"

#include "x509/der.h"

namespace ctdl::x509 {
namespace {

// Parameters pyca requires for the algorithms it knows (cryptography-x509 AlgorithmParameters).
enum class Params { kOptionalNull, kAbsent, kEc, kDss, kOptionalSequence };
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
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a", Params::kOptionalSequence},  // RSASSA-PSS
    {"\x2a\x86\x48\xce\x3d\x04\x01", Params::kOptionalNull},        // ecdsa-with-SHA1
    {"\x2a\x86\x48\xce\x3d\x04\x03\x01", Params::kOptionalNull},    // ecdsa-with-SHA224
    {"\x2a\x86\x48\xce\x3d\x04\x03\x02", Params::kOptionalNull},    // ecdsa-with-SHA256
    {"\x2a\x86\x48\xce\x3d\x04\x03\x03", Params::kOptionalNull},    // ecdsa-with-SHA384
    {"\x2a\x86\x48\xce\x3d\x04\x03\x04", Params::kOptionalNull},    // ecdsa-with-SHA512
    {"\x2a\x86\x48\xce\x38\x04\x03", Params::kOptionalNull},        // dsa-with-SHA1
    {"\x2a\x86\x48\xce\x3d\x02\x01", Params::kEc},                  // id-ecPublicKey
    {"\x2a\x86\x48\xce\x38\x04\x01", Params::kDss},                 // id-dsa
    {"\x2b\x65\x70", Params::kAbsent},                                // Ed25519
    {"\x2b\x65\x71", Params::kAbsent},                                // Ed448
    {"\x2b\x65\x6e", Params::kAbsent},                                // X25519
    {"\x2b\x65\x6f", Params::kAbsent},                                // X448
};

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
      case Params::kOptionalSequence:
        return params.empty() || uint8_t(params[0]) == der::kSequence ? nullptr
                                                                      : "parameters must be a SEQUENCE";
      case Params::kEc: {
        if (params.empty()) return "EC parameters missing";
        uint8_t t = uint8_t(params[0]);
        if (t == der::kOid) {
          der::Reader r(params);
          der::Tlv o;
          if (!r.Next(&o) || !r.empty() || !der::IsValidOid(o.value)) return "malformed named curve OID";
          return nullptr;
        }
        if (t == der::kSequence || params == std::string_view("\x05\x00", 2))
          return nullptr;
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
