// Text helpers for records: strict UTF-8 validation, decoding of ASN.1 string types to UTF-8, and
// JSON string escaping. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ctdl::text {

// Strict UTF-8 (as Rust's str::from_utf8: no overlongs, no surrogates, max U+10FFFF).
bool IsValidUtf8(std::string_view s);

// UTF-16BE (BMPString) / UTF-32BE (UniversalString) -> UTF-8. False on odd length, lone
// surrogates or code points that are not Unicode scalar values; *out is then unchanged.
bool AppendUtf16Be(std::string_view in, std::string* out);
bool AppendUtf32Be(std::string_view in, std::string* out);
// Latin-1 -> UTF-8 (a lenient fallback for bytes that are not UTF-8).
void AppendLatin1(std::string_view in, std::string* out);

// PrintableString character set (X.680): A-Z a-z 0-9 space ' ( ) + , - . / : = ?
bool IsPrintableString(std::string_view s);

// Appends s as a JSON string literal (with quotes). s must be valid UTF-8; invalid bytes are
// written as U+FFFD so the output is always valid UTF-8 JSON.
void AppendJsonString(std::string_view s, std::string* out);
// Bytes from a certificate as a JSON string, the same way in every record field: valid UTF-8 as it
// is; otherwise every byte decoded as latin-1 (one code point per byte, so the bytes can be recovered
// by encoding the string as latin-1). Where such bytes occur pyca refuses the certificate and the
// record carries a lint finding saying so.
void AppendJsonBytes(std::string_view s, std::string* out);
// ,"name":   (every record field after the first)
void AppendJsonKey(const char* name, std::string* out);
void AppendJsonUint(uint64_t v, std::string* out);

}  // namespace ctdl::text
