// X.509 Name and Time formatting exactly as pyca/cryptography prints them:
// Name.rfc4514_string() and str(not_valid_before_utc). Thread-safe pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "x509/der.h"

namespace ctdl::x509 {

// Short, specific findings about what violates DER / RFC 5280 (or what pyca would refuse).
using Lints = std::vector<std::string>;

struct FormattedName {
  std::string rfc4514;  // pyca's Name.rfc4514_string()
  std::string cn;       // value of the first CN attribute in DER order
  bool has_cn = false;
  bool ok = true;       // false: pyca would refuse this name (lints say why)
};

// name_value: the contents of the Name SEQUENCE. `which` prefixes lint findings ("subject").
// Always fills what it can: values pyca refuses are written leniently (latin-1 for bytes that are
// not UTF-8, '#'+hex for unsupported types) and a lint finding is added.
void FormatName(std::string_view name_value, std::string_view which, FormattedName* out, Lints* lints);

// UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ) ->
// "YYYY-MM-DD HH:MM:SS+00:00" appended to *out. False (nothing appended) when not a valid DER time.
bool FormatTime(const der::Tlv& t, std::string* out);

// RFC 4514 value escaping as pyca's _escape_dn_value, of a UTF-8 value, appended to *out.
void AppendEscapedDnValue(std::string_view v, std::string* out);

}  // namespace ctdl::x509
