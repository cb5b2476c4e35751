// The dedup key of a certificate and its precertificate: SHA-256 of the TBSCertificate with the CT
// poison (1.3.6.1.4.1.11129.2.4.3) and embedded SCT list (1.3.6.1.4.1.11129.2.4.2) extensions removed
// and the enclosing lengths re-encoded (DER, minimal). A precertificate and the final certificate issued
// from it give the same hash (RFC 6962 section 3.1; certspotter's and Censys's
// tbs_no_ct_fingerprint). When no extension is left the [3] extensions field is left out, as Go's
// certificate-transparency-go builds the precertificate TBS. Thread-safe pure function.
#pragma once

#include <string_view>

#include "base/bytes.h"

namespace ctdl::x509 {

// tbs: the whole TBSCertificate TLV (SEQUENCE header included). False when the TBS cannot be walked
// up to its extensions (not one SEQUENCE, a malformed element, extensions not a SEQUENCE of
// Extension SEQUENCEs each starting with an OID); *out is then unchanged.
bool TbsNoCtSha256(std::string_view tbs, Hash256* out);

}  // namespace ctdl::x509
