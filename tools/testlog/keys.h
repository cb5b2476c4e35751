// OpenSSL helpers for ctdl-testlog: RAII key handles, key generation, SPKI/PEM I/O, ECDSA/RSA signing
// and self-signed CA certificates. Errors come back as ctdl::Status values; nothing throws.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace testlog {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

Pkey GenerateEc();                 // P-256; nullptr on failure
Pkey GenerateRsa(int bits);        // nullptr on failure
std::string SpkiDer(EVP_PKEY* k);  // SubjectPublicKeyInfo DER
std::string PrivateKeyPem(EVP_PKEY* k);
ctdl::Result<Pkey> LoadPrivateKeyPem(std::string_view pem);
// Signs SHA-256(data); ECDSA keys give a DER ECDSA-Sig-Value.
ctdl::Result<std::string> SignSha256(EVP_PKEY* k, std::string_view data);
// A self-signed CA certificate (valid signature) with the given common name; DER.
ctdl::Result<std::string> SelfSignedCa(EVP_PKEY* k, const std::string& cn, long serial);
// Subject Name DER of a certificate; empty on parse failure.
std::string SubjectNameDer(std::string_view cert_der);

// Reads a whole file / writes it atomically-enough for a build tool (write then rename).
ctdl::Result<std::string> ReadFile(const std::string& path);
ctdl::Status WriteFile(const std::string& path, std::string_view data);

}  // namespace testlog
