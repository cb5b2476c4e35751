// Signed tree heads as logs publish them: RFC 6962 get-sth JSON and static-ct-api checkpoints
// (c2sp.org/tlog-checkpoint inside a c2sp.org/signed-note). Parsing only, strict: anything malformed
// is kCorrupt with a sentence saying what. Signatures are checked by ct/signature.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ctdl {

// Tree sizes above this are refused by both parsers as implausible: no log comes near it, the state
// stores keep sizes as signed 64-bit numbers (SQLite), and index arithmetic stays far from overflow.
inline constexpr uint64_t kMaxPlausibleTreeSize = uint64_t{1} << 62;

struct SignedTreeHead {
  uint64_t tree_size = 0;
  uint64_t timestamp = 0;   // ms
  Hash256 root_hash{};
  std::string signature;    // TLS DigitallySigned: hash alg (1), sig alg (1), opaque<0..2^16-1>
};

// {"tree_size":N,"timestamp":N,"sha256_root_hash":"b64","tree_head_signature":"b64"}
Result<SignedTreeHead> ParseGetSth(std::string_view json);

struct NoteSignature {
  std::string name;        // key name (for CT logs: the origin)
  uint32_t key_id = 0;     // first 4 bytes of the decoded signature, big-endian
  std::string signature;   // decoded signature bytes after the key id
};

struct Checkpoint {
  std::string origin;                   // first line
  uint64_t size = 0;                    // second line
  Hash256 root_hash{};                  // third line, base64
  std::vector<std::string> extensions;  // further body lines, if any
  std::string body;                     // the signed text: every body line with its '\n'
  std::vector<NoteSignature> signatures;  // every "— name base64" line, unknown ones included
  // For RFC6962NoteSignature lines: the signature after the key id is uint64 timestamp followed by a
  // TLS DigitallySigned TreeHeadSignature.
};

Result<Checkpoint> ParseCheckpoint(std::string_view note);

}  // namespace ctdl
