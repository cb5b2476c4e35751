// Merkle proof verification (RFC 6962 section 2.1, algorithms of RFC 9162 sections 2.1.3.2 / 2.1.4.2)
// and the decoding of the RFC 6962 proof endpoints. Pure functions, thread-safe, total: any size,
// index or proof length coming from a log gives a Status, never an abort or an out-of-range read.
//
// Errors: kVerifyFailed with one sentence naming what did not check out (sizes, and both roots in
// base64 when a root differs); kCorrupt for malformed JSON from a log. Callers add the log's name
// with Status::Annotate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "ct/merkle.h"

namespace ctdl {

// Root hash as logs print it (standard base64), for messages.
std::string RootToString(const Hash256& root);

// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves whose root is `root`, using the
// audit path `proof` (leaf level first, as get-proof-by-hash / get-entry-and-proof return it).
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash256& leaf_hash,
                       std::span<const Hash256> proof, const Hash256& root);

// Checks that the tree (size2, root2) extends the tree (size1, root1), with the proof from
// get-sth-consistency?first=size1&second=size2. Edge cases (RFC 9162 2.1.4.2):
//   size1 > size2               -> kVerifyFailed (a shrinking log)
//   size1 == size2              -> the proof must be empty and root1 == root2
//   size1 == 0                  -> the proof must be empty; root1 is not looked at
//   size1 a power of two        -> the proof omits MTH(size1); root1 is used as its first node
Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash256& root1, const Hash256& root2,
                         std::span<const Hash256> proof);

// Verifying constructors for a position taken over without a compact range (doc/verification.md).
//
// From an inclusion proof of leaf `index` in the signed tree (size, root): verifies it like
// VerifyInclusion and returns the compact range of [0, index) — the left siblings on the audit path —
// so the download can continue at `index` (appending leaf `index` itself next) fully verified against
// every later signed root. Works for every index < size.
Result<CompactRange> CompactRangeFromInclusionProof(uint64_t index, uint64_t size, const Hash256& leaf_hash,
                                                    std::span<const Hash256> proof, const Hash256& root);
// From a consistency proof size1 -> size2 against the signed root2 only (root1 unknown): verifies it and
// returns the compact range of [0, size1). size1 must be in [1, size2) and NOT a power of two (for a
// power of two the proof does not contain MTH(size1): kInvalidArgument; use the inclusion-proof form,
// or start from size1 - 1 and re-hash entry size1 - 1).
Result<CompactRange> CompactRangeFromConsistencyProof(uint64_t size1, uint64_t size2, const Hash256& root2,
                                                      std::span<const Hash256> proof);

// RFC 6962 endpoint bodies. Strict: each hash must be base64 of exactly 32 bytes; kCorrupt otherwise.
// get-sth-consistency: {"consistency":["b64",...]}
Result<std::vector<Hash256>> ParseGetSthConsistency(std::string_view json);
struct AuditProof {
  uint64_t leaf_index = 0;  // get-proof-by-hash only; 0 for get-entry-and-proof
  std::vector<Hash256> audit_path;
  std::string leaf_input;  // get-entry-and-proof only (decoded bytes)
  std::string extra_data;  // get-entry-and-proof only (decoded bytes)
};
// get-proof-by-hash: {"leaf_index":N,"audit_path":[...]}
Result<AuditProof> ParseGetProofByHash(std::string_view json);
// get-entry-and-proof: {"leaf_input":"b64","extra_data":"b64","audit_path":[...]}
Result<AuditProof> ParseGetEntryAndProof(std::string_view json);

}  // namespace ctdl
