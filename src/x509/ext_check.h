// Checks of extension values as strict as pyca/cryptography's decoders for the extensions it knows
// (key identifiers, key usage, EKU, policies, name constraints, ...). Used for lint findings.
// Thread-safe pure functions.
#pragma once

#include <string_view>

#include "x509/der.h"

namespace ctdl::x509 {

// Returns nullptr when the value is acceptable (or the OID is not one of those checked here),
// otherwise a short static description of the problem. *known is set when the OID is checked here.
const char* CheckExtensionValue(std::string_view oid, std::string_view value, bool* known);

// One GeneralName (full TLV) as pyca decodes it: nullptr when accepted. In SAN/IAN an iPAddress may be
// an address or a network; x400Address and ediPartyName are refused (pyca does not support them).
const char* CheckGeneralName(const der::Tlv& name);
// GeneralNames contents (the SEQUENCE's value): every element checked.
const char* CheckGeneralNames(std::string_view names);

// RFC 6962 SignedCertificateTimestampList (the extension's inner OCTET STRING contents), checked as
// pyca does when it reads the extension: nullptr when acceptable.
const char* CheckSctList(std::string_view list);

// iPAddress in a GeneralName: 4/16 bytes (address) or, with networks allowed, 8/32 bytes
// (address + contiguous netmask, no host bits). nullptr when valid.
const char* CheckIpAddress(std::string_view v, bool allow_address, bool allow_network);

}  // namespace ctdl::x509
