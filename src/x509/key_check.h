// Subject public keys checked as pyca/cryptography 48 loads them (Certificate.public_key()): EC points
// (encoding, on the curve, not infinity) on the curves pyca loads, Ed25519/Ed448/X25519/X448 key
// lengths. RSA keys are not checked: pyca 48 loads RSAPublicKey leniently (a negative modulus, BER). A key of an algorithm or curve not listed here is not
// checked (pyca answers UnsupportedAlgorithm for most: it reads the certificate, not the key).
// Thread-safe (per-thread OpenSSL curve objects, created on first use).
#pragma once

#include <string_view>

namespace ctdl::x509 {

// alg_oid: SPKI algorithm OID contents; params: the parameters TLV (or empty); key: the BIT STRING
// contents (unused-bits octet first). nullptr when acceptable, else a short static description.
const char* CheckPublicKey(std::string_view alg_oid, std::string_view params, std::string_view key);

}  // namespace ctdl::x509
