// Strict parsers for RFC 6962 get-sth replies and c2sp.org/tlog-checkpoint signed notes.
#include "ct/tree_head.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

namespace ctdl {
namespace {

// The bytes after "sha256_root_hash" etc. must be base64 of exactly `want` bytes (0: any length).
Result<std::string> DecodeB64Field(std::string_view b64, std::string_view what, size_t want) {
  auto decoded = Base64Decode(b64);
  if (!decoded.ok()) return Corrupt(fmt::format("{} is not valid base64", what));
  if (want && decoded->size() != want)
    return Corrupt(fmt::format("{} has {} bytes, want {}", what, decoded->size(), want));
  return std::move(decoded).value();
}

// TLS DigitallySigned: hash (1) sig (1) opaque<0..2^16-1>, nothing after it.
bool IsDigitallySigned(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t hash_alg, sig_alg;
  std::string_view sig;
  return r.ReadUint(1, &hash_alg) && r.ReadUint(1, &sig_alg) && r.ReadVector(2, &sig) && r.empty();
}

Result<uint64_t> GetUint(simdjson::dom::object& obj, const char* key) {
  uint64_t v = 0;
  auto err = obj[key].get_uint64().get(v);
  if (err == simdjson::NO_SUCH_FIELD) return Corrupt(fmt::format("get-sth reply has no \"{}\"", key));
  if (err) return Corrupt(fmt::format("get-sth \"{}\" is not an unsigned integer", key));
  return v;
}

Result<std::string_view> GetString(simdjson::dom::object& obj, const char* key) {
  std::string_view v;
  auto err = obj[key].get_string().get(v);
  if (err == simdjson::NO_SUCH_FIELD) return Corrupt(fmt::format("get-sth reply has no \"{}\"", key));
  if (err) return Corrupt(fmt::format("get-sth \"{}\" is not a string", key));
  return v;
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Key names per c2sp.org/signed-note: non-empty, no Unicode spaces, no '+'.
bool ValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c <= 0x20 || c == 0x7f || c == '+') return false;
    // U+0085, U+00A0 (C2 85, C2 A0), U+1680 (E1 9A 80), U+2000..U+200A, U+2028, U+2029, U+202F,
    // U+205F (E2 80/81 ..), U+3000 (E3 80 80).
    std::string_view rest = name.substr(i);
    if (rest.starts_with("\xc2\x85") || rest.starts_with("\xc2\xa0") || rest.starts_with("\xe1\x9a\x80") ||
        rest.starts_with("\xe3\x80\x80") || rest.starts_with("\xe2\x81\x9f"))
      return false;
    if (rest.size() >= 3 && c == 0xe2 && uint8_t(rest[1]) == 0x80) {
      uint8_t c3 = uint8_t(rest[2]);
      if (c3 <= 0x8a || c3 == 0xa8 || c3 == 0xa9 || c3 == 0xaf) return false;
    }
  }
  return true;
}

constexpr std::string_view kSigPrefix = "\xe2\x80\x94 ";  // "— "
constexpr size_t kMaxSignatures = 100;

Result<SignedTreeHead> ParseGetSthImpl(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(doc))
    return Corrupt(fmt::format("get-sth reply is not valid JSON ({})", simdjson::error_message(err)));
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return Corrupt("get-sth reply is not a JSON object");
  SignedTreeHead sth;
  TRY_ASSIGN(sth.tree_size, GetUint(obj, "tree_size"));
  if (sth.tree_size > kMaxPlausibleTreeSize)
    return Corrupt(
        fmt::format("get-sth tree_size {} is implausible (above 2^62); not using it", sth.tree_size));
  TRY_ASSIGN(sth.timestamp, GetUint(obj, "timestamp"));
  TRY_ASSIGN(std::string_view root_b64, GetString(obj, "sha256_root_hash"));
  TRY_ASSIGN(std::string root, DecodeB64Field(root_b64, "get-sth sha256_root_hash", 32));
  std::copy(root.begin(), root.end(), sth.root_hash.begin());
  TRY_ASSIGN(std::string_view sig_b64, GetString(obj, "tree_head_signature"));
  TRY_ASSIGN(sth.signature, DecodeB64Field(sig_b64, "get-sth tree_head_signature", 0));
  if (!IsDigitallySigned(sth.signature))
    return Corrupt("get-sth tree_head_signature is not a TLS DigitallySigned structure");
  return sth;
}

}  // namespace

// simdjson reports errors as values here; the catch is a backstop (e.g. bad_alloc on huge input).
Result<SignedTreeHead> ParseGetSth(std::string_view json) {
  try {
    return ParseGetSthImpl(json);
  } catch (const std::exception& e) {
    return Corrupt(std::string("get-sth reply could not be parsed: ") + e.what());
  }
}

Result<Checkpoint> ParseCheckpoint(std::string_view note) {
  for (unsigned char c : note)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return Corrupt("checkpoint contains a control character");
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos)
    return Corrupt("checkpoint is not a signed note: no blank line before the signatures");
  Checkpoint cp;
  cp.body = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty()) return Corrupt("checkpoint has no signature lines");
  if (sigs.back() != '\n') return Corrupt("checkpoint does not end with a newline");

  // Signature lines: "— <name> <base64>\n".
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (!line.starts_with(kSigPrefix)) return Corrupt("checkpoint signature line does not start with \"— \"");
    line.remove_prefix(kSigPrefix.size());
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos)
      return Corrupt("checkpoint signature line has no space between key name and signature");
    std::string_view name = line.substr(0, sp);
    std::string_view b64 = line.substr(sp + 1);
    if (!ValidKeyName(name)) return Corrupt("checkpoint signature line has an invalid key name");
    auto sig = Base64Decode(b64);
    if (!sig.ok() || b64.empty())
      return Corrupt(fmt::format("checkpoint signature by {} is not valid base64", name));
    if (sig->size() < 5)
      return Corrupt(fmt::format("checkpoint signature by {} is shorter than 5 bytes", name));
    if (cp.signatures.size() >= kMaxSignatures) return Corrupt("checkpoint has more than 100 signatures");
    NoteSignature ns;
    ns.name = std::string(name);
    ns.key_id = uint32_t(uint8_t((*sig)[0])) << 24 | uint32_t(uint8_t((*sig)[1])) << 16 |
                uint32_t(uint8_t((*sig)[2])) << 8 | uint32_t(uint8_t((*sig)[3]));
    ns.signature = sig->substr(4);
    cp.signatures.push_back(std::move(ns));
  }

  // Body: origin, size, root hash, then optional non-empty extension lines.
  std::string_view body = cp.body;
  std::vector<std::string_view> lines;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    lines.push_back(body.substr(0, nl));
    body.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return Corrupt("checkpoint body needs three lines: origin, tree size, root hash");
  if (lines[0].empty()) return Corrupt("checkpoint origin line is empty");
  cp.origin = std::string(lines[0]);
  if (!ParseDecimal(lines[1], &cp.size))
    return Corrupt("checkpoint tree size is not a decimal number without leading zeros");
  if (cp.size > kMaxPlausibleTreeSize)
    return Corrupt(fmt::format("checkpoint tree size {} is implausible (above 2^62); not using it", cp.size));
  TRY_ASSIGN(std::string root, DecodeB64Field(lines[2], "checkpoint root hash", 32));
  std::copy(root.begin(), root.end(), cp.root_hash.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Corrupt("checkpoint body contains an empty line");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

}  // namespace ctdl
