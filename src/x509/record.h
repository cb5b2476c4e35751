// Record extraction: certificate DER -> one JSON object (one NDJSON line). The schema is in
// doc/record-format.md. The seed's fields carry exactly the values pyca/cryptography prints.
// Never aborts on bad bytes: unparseable parts become "validation"/"lint"/"error" fields.
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ctdl {

// Opt-in fields (--fields). The seed's fields are always present.
enum Field : uint32_t {
  kFieldSerial = 1 << 0,
  kFieldSha256 = 1 << 1,
  kFieldKey = 1 << 2,          // key_type, key_bits
  kFieldSignatureAlgorithm = 1 << 3,
  kFieldSanIp = 1 << 4,
  kFieldSanEmail = 1 << 5,
  kFieldSanUri = 1 << 6,
  kFieldIsCa = 1 << 7,
  kFieldSctCount = 1 << 8,
  kFieldChain = 1 << 9,        // SHA-256 fingerprints of the chain
  kFieldTbsSha256 = 1 << 10,   // SHA-256 of the TBS without the CT poison / SCT list (x509/tbs_hash.h)
  kFieldLeafHash = 1 << 11,    // the entry's Merkle leaf hash
  kFieldLogId = 1 << 12,       // the log's ID (base64)
  kFieldLog = 1 << 13,         // the log's URL
};
using FieldSet = uint32_t;

// Parses "serial,sha256,key_type,..." (also "all"); kInvalidArgument names an unknown field.
Result<FieldSet> ParseFields(std::string_view list);

struct RecordInput {
  std::string_view der;              // certificate (or pre_certificate) bytes
  uint64_t index = 0;
  const char* entry_type = "x509";   // "x509" | "precert"
  uint64_t timestamp = 0;            // ms
  std::string_view error;            // decoder error: when set, the record is an error record
  const std::vector<Hash256>* chain_sha256 = nullptr;
  // Precert entries from a log: the TBSCertificate the log signed (RFC 6962 leaf / tile
  // tbs_certificate). tbs_sha256 hashes it; when empty, the pre_certificate's own TBS is used.
  std::string_view signed_tbs;
  const Hash256* leaf_hash = nullptr;  // null: "leaf_hash" is null
  std::string_view log_id;             // base64 (as in the log list); empty: null
  std::string_view log_url;            // empty: null
};

// Appends one JSON object and a trailing '\n' to *out.
void AppendRecord(const RecordInput& input, FieldSet fields, std::string* out);

}  // namespace ctdl
