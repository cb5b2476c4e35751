// Writer claims of one log's archive folder (doc/segments.md "Writer claim"): which state store may
// write (and delete its own unfinished write) in the folder. Objects
//   <slug>/ctdl-writer-<generation:06>.json
// written create-exclusive and never rewritten or deleted; the one with the highest generation is
// the claim in force. One JSON object:
//   {"format":1,"generation":1,"log_url":"https://ct.example/log/","state_id":"st-<32 hex>",
//    "state":"sqlite:/srv/ctdl-state.db","process":"<host>/<boot>-<ns>:<pid>:<random>",
//    "by":"download","created_at":1767225600}
// Only generation, log_url and state_id decide anything; the rest is for people. Readers ignore
// unknown fields. Pure functions; thread-safe. Bytes are untrusted (anything may sit in the folder).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ctdl {

inline constexpr int kClaimFormat = 1;

struct WriterClaim {
  int format = kClaimFormat;
  uint64_t generation = 0;  // >= 1; the object's name says the same
  std::string log_url;
  std::string state_id;  // the state store's id (store/state_id.h)
  std::string state;     // how that store was named: "sqlite:/abs/path", "dynamodb:TABLE"
  std::string process;   // the process that wrote the claim (sync/log_owner.h NewOwnerId)
  std::string by;        // "download", "download --distributed", "adopt-archive"
  int64_t created_at = 0;  // unix seconds
};

// "<slug>/ctdl-writer-": List this prefix for the folder's claims.
std::string ClaimPrefix(std::string_view slug);
// "<slug>/ctdl-writer-<generation:06>.json" (wider past 999999).
std::string ClaimKey(std::string_view slug, uint64_t generation);
// The generation named by a claim key (any "<...>/ctdl-writer-<digits>.json" with 1..18 digits and
// a value >= 1); nullopt for every other key.
std::optional<uint64_t> ParseClaimKey(std::string_view key);
std::string SerializeClaim(const WriterClaim& c);
// kCorrupt for anything that is not a claim: not a JSON object, no format/generation/log_url/
// state_id, generation 0, larger than 64 KiB.
Result<WriterClaim> ParseClaim(std::string_view json);

}  // namespace ctdl
