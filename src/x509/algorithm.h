// AlgorithmIdentifier parameters as strict as pyca/cryptography: for the algorithms pyca knows, the
// parameters must have the form it decodes (absent/NULL for RSA and ECDSA signatures, a curve for EC
// keys, Dss-Parms for DSA keys, nothing for EdDSA). Thread-safe pure function.
#pragma once

#include <string_view>

namespace ctdl::x509 {

// oid: OID contents; params: the parameters' full TLV, empty when absent.
// Returns nullptr when acceptable (or the algorithm is unknown), otherwise why not.
const char* CheckAlgorithmParams(std::string_view oid, std::string_view params);

}  // namespace ctdl::x509
