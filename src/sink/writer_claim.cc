#include "sink/writer_claim.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "sink/manifest.h"

namespace ctdl {
namespace {

constexpr std::string_view kStem = "ctdl-writer-";
constexpr std::string_view kSuffix = ".json";

}  // namespace

std::string ClaimPrefix(std::string_view slug) { return fmt::format("{}/{}", slug, kStem); }

std::string ClaimKey(std::string_view slug, uint64_t generation) {
  return fmt::format("{}/{}{:06}{}", slug, kStem, generation, kSuffix);
}

std::optional<uint64_t> ParseClaimKey(std::string_view key) {
  auto slash = key.rfind('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (name.size() <= kStem.size() + kSuffix.size() || name.substr(0, kStem.size()) != kStem ||
      name.substr(name.size() - kSuffix.size()) != kSuffix)
    return std::nullopt;
  std::string_view digits = name.substr(kStem.size(), name.size() - kStem.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  uint64_t g = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    g = g * 10 + static_cast<uint64_t>(c - '0');
  }
  if (g == 0) return std::nullopt;
  return g;
}

std::string SerializeClaim(const WriterClaim& c) {
  return fmt::format(
      "{{\"format\":{},\"generation\":{},\"log_url\":{},\"state_id\":{},\"state\":{},\"process\":{},"
      "\"by\":{},\"created_at\":{}}}\n",
      c.format, c.generation, JsonStringLiteral(c.log_url), JsonStringLiteral(c.state_id),
      JsonStringLiteral(c.state), JsonStringLiteral(c.process), JsonStringLiteral(c.by), c.created_at);
}

Result<WriterClaim> ParseClaim(std::string_view json) {
  if (json.size() > (64 << 10)) return Corrupt("writer claim is larger than 64 KiB");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  simdjson::dom::object o;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get(o) != simdjson::SUCCESS)
    return Corrupt("writer claim is not a JSON object");
  WriterClaim c;
  int64_t format = 0;
  uint64_t generation = 0;
  std::string_view url, id;
  if (o["format"].get(format) != simdjson::SUCCESS || o["generation"].get(generation) != simdjson::SUCCESS ||
      o["log_url"].get(url) != simdjson::SUCCESS || o["state_id"].get(id) != simdjson::SUCCESS)
    return Corrupt("writer claim has no format, generation, log_url or state_id");
  if (format < 1 || generation == 0 || id.empty()) return Corrupt("writer claim has an invalid format, generation or state_id");
  c.format = static_cast<int>(std::min<int64_t>(format, 1 << 20));
  c.generation = generation;
  c.log_url = std::string(url);
  c.state_id = std::string(id);
  std::string_view text;
  if (o["state"].get(text) == simdjson::SUCCESS) c.state = std::string(text);
  if (o["process"].get(text) == simdjson::SUCCESS) c.process = std::string(text);
  if (o["by"].get(text) == simdjson::SUCCESS) c.by = std::string(text);
  int64_t created = 0;
  if (o["created_at"].get(created) == simdjson::SUCCESS) c.created_at = created;
  return c;
}

}  // namespace ctdl
