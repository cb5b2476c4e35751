// Log URLs: the one canonical form a log URL takes as its state key (and so its archive folder), and
// the checks that keep hostile or careless URLs out (a log list is input from outside).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace ctdl {

// Canonical form: scheme and host lower-cased, the default port dropped (:80 for http, :443 for
// https), the path kept as is (paths are case-sensitive) with exactly one trailing '/'.
//   "HTTP://Ct.Example.COM:80/logs/Argon//" -> "http://ct.example.com/logs/Argon/"
//   "https://ct.example.com:443/logs/argon" -> "https://ct.example.com/logs/argon/"
//   "https://ct.example.com:8443"           -> "https://ct.example.com:8443/"
// Refused with kInvalidArgument (the message shows the URL with control bytes escaped, without any
// password): schemes other than http and https; user info ("user:password@"); control characters,
// spaces or non-ASCII bytes; an empty host or bad port; a query or fragment; longer than 2000 bytes.
Result<std::string> CanonicalLogUrl(std::string_view url);
// The same, also accepting a static-ct-api folder (tiled logs' monitoring_url; doc/sources.md):
//   "file://localhost/srv/ct/log" -> "file:///srv/ct/log/" (absolute, no host, no "." or "..")
Result<std::string> CanonicalTiledLogUrl(std::string_view url);

// A warning (one sentence) when the URL's host is a link-local or cloud metadata address
// (169.254.0.0/16, fe80::/10, fd00:ec2::254, metadata.google.internal, "metadata"), else "".
std::string MetadataHostWarning(std::string_view canonical_url);

// Untrusted text made safe for one line of a message: bytes below 0x20, 0x7f and above as \xNN, a
// "user:password@" part as "***@", at most max_bytes (then "...").
std::string PrintableUrl(std::string_view text, size_t max_bytes = 200);

}  // namespace ctdl
