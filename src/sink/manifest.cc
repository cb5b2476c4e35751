#include "sink/manifest.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace ctdl {

std::string JsonStringLiteral(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ManifestKey(std::string_view slug) { return std::string(slug) + "/ctdl-manifest.json"; }

std::string SerializeManifest(const ArchiveManifest& m) {
  return fmt::format(
      "{{\"format\":{},\"log_url\":{},\"log_id\":{},\"key\":{},\"segment_entries\":{},"
      "\"created_at\":{}}}\n",
      m.format, JsonStringLiteral(m.log_url), JsonStringLiteral(m.log_id), JsonStringLiteral(m.key), m.segment_entries, m.created_at);
}

Result<ArchiveManifest> ParseManifest(std::string_view json) {
  if (json.size() > (1 << 20)) return Corrupt("archive manifest is larger than 1 MiB");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(json);
  simdjson::dom::object o;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get(o) != simdjson::SUCCESS)
    return Corrupt("archive manifest is not a JSON object");
  ArchiveManifest m;
  int64_t format = 0;
  std::string_view url, id, key;
  if (o["format"].get(format) != simdjson::SUCCESS || o["log_url"].get(url) != simdjson::SUCCESS)
    return Corrupt("archive manifest has no format or log_url");
  if (format < 1) return Corrupt("archive manifest has an invalid format");
  m.format = static_cast<int>(std::min<int64_t>(format, 1 << 20));
  m.log_url = std::string(url);
  if (o["log_id"].get(id) == simdjson::SUCCESS) m.log_id = std::string(id);
  if (o["key"].get(key) == simdjson::SUCCESS) m.key = std::string(key);
  uint64_t entries = 0;
  if (o["segment_entries"].get(entries) == simdjson::SUCCESS) m.segment_entries = entries;
  int64_t created = 0;
  if (o["created_at"].get(created) == simdjson::SUCCESS) m.created_at = created;
  return m;
}

std::string ManifestMismatch(const ArchiveManifest& m, std::string_view log_url, std::string_view log_id,
                             std::string_view key) {
  if (m.log_url != log_url) return fmt::format("its manifest names the log {}", m.log_url);
  if (!m.log_id.empty() && !log_id.empty() && m.log_id != log_id)
    return fmt::format("its manifest names log id {}, this log's is {}", m.log_id, log_id);
  if (!m.key.empty() && !key.empty() && m.key != key)
    return "its manifest names another public key for this URL";
  return "";
}

}  // namespace ctdl
