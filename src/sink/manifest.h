// The manifest of one log's archive prefix: `<slug>/ctdl-manifest.json`, written (create-exclusive)
// before the log's first segment, so the archive itself says which log a prefix holds
// (doc/segments.md "Manifest"). One JSON object:
//   {"format":1,"log_url":"https://ct.example/log/","log_id":"<base64>","key":"<base64 SPKI>",
//    "segment_entries":100000,"created_at":1767225600}
// log_id / key may be empty (a log registered without a log list). Readers ignore unknown fields.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ctdl {

inline constexpr int kManifestFormat = 1;

struct ArchiveManifest {
  int format = kManifestFormat;
  std::string log_url;
  std::string log_id;
  std::string key;
  uint64_t segment_entries = 0;
  int64_t created_at = 0;  // unix seconds
};

// "<slug>/ctdl-manifest.json" (not a segment name: List users skip it).
std::string ManifestKey(std::string_view slug);
std::string SerializeManifest(const ArchiveManifest& m);
// kCorrupt for anything that is not a manifest (bytes are untrusted: a foreign object may sit there).
Result<ArchiveManifest> ParseManifest(std::string_view json);
// Empty when `m` describes the log (url, log_id and key as given); else why not (one sentence part).
std::string ManifestMismatch(const ArchiveManifest& m, std::string_view log_url, std::string_view log_id,
                             std::string_view key);

// `s` as a JSON string literal (quotes, backslashes and control characters escaped), for the small
// JSON objects ctdl keeps in a log's folder (manifest, writer claims).
std::string JsonStringLiteral(std::string_view s);

}  // namespace ctdl
