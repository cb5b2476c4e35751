// Fast template-based certificate generator for ctdl-testlog. Builds DER directly (no OpenSSL X509
// object per entry); signatures are random bytes of the right shape (they need not verify).
// Not thread-safe: one generator per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "der.h"

namespace testlog {

// A CA that "issues" generated certificates. Its certificate is real and self-signed.
struct Issuer {
  std::string cert_der;
  std::string spki_der;  // SubjectPublicKeyInfo of the CA key (issuer_key_hash = SHA-256 of this)
  std::string name_der;  // subject Name DER (becomes the leaf's issuer)
  bool ecdsa = true;     // signature algorithm of certificates it issues
};

struct GeneratedCert {
  bool precert = false;
  std::string cert_der;      // full certificate (precerts carry the poison extension)
  std::string tbs_for_leaf;  // precert only: TBSCertificate with the poison extension removed
  // precert with with_final only: the final certificate issued from it: the same TBS with an embedded
  // SCT list extension where the poison was (as CAs do), signed again.
  std::string final_der;
  int issuer = 0;            // index into the issuer list
};

class CertGenerator {
 public:
  // subject_spkis: pool of subject public keys (DER SPKI) to draw from.
  CertGenerator(uint64_t seed, const std::vector<Issuer>* issuers, std::vector<std::string> subject_spkis);
  GeneratedCert Next(uint64_t index, bool precert, bool with_final = false);

 private:
  std::string Name(uint64_t index);
  std::string Validity();
  // without_poison / with_scts (optional): the same list without the poison / with an SCT list in its place.
  std::string Extensions(uint64_t index, bool precert, std::string* without_poison, std::string* with_scts);
  std::string SctList();
  std::string Signature(bool ecdsa);
  std::string Tbs(const std::string& serial, const Issuer& iss, const std::string& validity,
                  const std::string& subject, const std::string& spki, const std::string& exts);

  Rng rng_;
  const std::vector<Issuer>* issuers_;
  std::vector<std::string> spkis_;
};

}  // namespace testlog
