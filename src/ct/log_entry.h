// LogEntry: one decoded log entry, the same shape for RFC 6962 and static-ct-api (tiled) logs.
// Decoders (ct/rfc6962_entries.h, ct/tile_leaf.h) never abort on bad bytes: an entry that cannot be
// decoded has `error` set and keeps whatever was readable, so the pipeline writes an error record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace ctdl {

enum class EntryType : uint8_t { kX509 = 0, kPrecert = 1 };
inline const char* EntryTypeName(EntryType t) { return t == EntryType::kX509 ? "x509" : "precert"; }

struct LogEntry {
  uint64_t index = 0;
  uint64_t timestamp = 0;  // milliseconds since the epoch, from the log
  EntryType type = EntryType::kX509;
  // DER the record describes: the leaf certificate (x509) or the pre_certificate (precert; from
  // extra_data in RFC 6962, from the pre_certificate field in tiles). When the entry is undecodable
  // this holds the raw bytes we got (so the record can still carry a fingerprint of them).
  std::string cert;
  // precert only: the TBSCertificate the log signed (RFC 6962 leaf_input / the tile's tbs_certificate);
  // empty for x509 entries.
  std::string signed_tbs;
  std::vector<Hash256> chain_sha256;  // SHA-256 of each chain certificate, leaf-side first
  Hash256 leaf_hash{};                // RFC 6962 leaf hash: SHA-256(0x00 || MerkleTreeLeaf)
  bool has_leaf_hash = false;
  std::string error;                  // non-empty: why the entry could not be decoded
};

}  // namespace ctdl
