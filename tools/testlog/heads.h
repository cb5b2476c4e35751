// Signed tree heads for ctdl-testlog: RFC 6962 get-sth JSON and static-ct-api checkpoints (signed
// notes with an RFC6962NoteSignature). One signature per tree size, cached. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "base/bytes.h"
#include "logdata.h"

namespace testlog {

struct SignedHead {
  uint64_t size = 0;
  uint64_t timestamp = 0;  // ms
  ctdl::Hash256 root{};
  std::string signature;  // DigitallySigned (TLS encoding)
};

class HeadSigner {
 public:
  // bad_signature: sign a different message (valid DER, fails verification).
  HeadSigner(const LogData* log, bool bad_signature) : log_(log), bad_(bad_signature) {}
  ctdl::Result<SignedHead> Get(uint64_t size);
  static std::string SthJson(const SignedHead& h);
  // The checkpoint note for origin (key name = origin).
  std::string Checkpoint(const SignedHead& h, const std::string& origin) const;

 private:
  const LogData* log_;
  bool bad_;
  std::mutex mu_;
  std::map<uint64_t, SignedHead> cache_;
  uint64_t last_timestamp_ = 0;
};

// LogID = SHA-256(SPKI); note key ID = SHA-256(origin || 0x0A || 0x05 || LogID)[:4].
std::string NoteKeyId(const std::string& origin, const std::string& spki);

}  // namespace testlog
