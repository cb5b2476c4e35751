// Certificate structure: a zero-copy walk over the DER of an X.509 certificate (RFC 5280), with
// views of the parts records need and lint findings for every structural violation found.
// Views point into the input DER, which must outlive the CertView. Thread-safe pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "x509/der.h"
#include "x509/name.h"

namespace ctdl::x509 {

struct CertView {
  bool is_cert = false;           // outer SEQUENCE holding a TBSCertificate SEQUENCE was found
  std::string not_cert_reason;    // set when !is_cert
  std::string_view tbs;           // the whole TBSCertificate TLV
  int version = 0;                // 0 = v1, 2 = v3
  bool has_serial = false;
  std::string_view serial;        // INTEGER contents
  bool has_issuer = false, has_subject = false;
  std::string_view issuer, subject;  // Name SEQUENCE contents
  bool has_validity = false;
  der::Tlv not_before, not_after;
  bool has_spki = false;
  std::string_view spki_alg_oid, spki_alg_params, spki_key;  // params: full TLV or empty; key: BIT STRING contents
  std::string_view sig_alg_oid;   // outer signatureAlgorithm OID contents
  bool extensions_ok = true;      // false: the extensions could not be read as pyca would
  bool has_san = false;
  std::string_view san;           // contents of the GeneralNames SEQUENCE
  bool has_basic_constraints = false;
  bool is_ca = false;
  bool has_sct_list = false;
  std::string_view sct_list;      // OCTET STRING contents (TLS SignedCertificateTimestampList)
  bool precert_poison = false;
  Lints lints;
};

// Parses der into *out (reset first). Never fails: problems become lints / not_cert_reason.
void ParseCertificate(std::string_view der, CertView* out);

// Calls f(tag, value) for each GeneralName in a SAN's GeneralNames contents, stopping at the first
// malformed element. Tags: 0x82 dNSName, 0x81 rfc822Name, 0x86 URI, 0x87 iPAddress, ...
template <typename F>
void ForEachGeneralName(std::string_view names, F&& f) {
  der::Reader r(names);
  der::Tlv t;
  while (!r.empty() && r.Next(&t)) f(t.tag, t.value);
}

}  // namespace ctdl::x509
