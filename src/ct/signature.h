// Tree head signatures: RFC 6962 get-sth (TreeHeadSignature in a TLS DigitallySigned) and static-ct-api
// checkpoints (an RFC6962NoteSignature line of a signed note), with the log's public key from the log
// list. ECDSA P-256 and RSA (PKCS#1 v1.5), both with SHA-256, via OpenSSL 3 EVP.
//
// Every failure is kVerifyFailed (a malformed key given to Create is kInvalidArgument) with one sentence
// naming what failed; nothing here aborts on hostile bytes. A LogVerifier is immutable after creation:
// copies share the key, and all methods may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "ct/tree_head.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ctdl {

// The bytes a log signs for a tree head (RFC 6962 3.5): version v1 (0), signature_type tree_hash (1),
// uint64 timestamp, uint64 tree_size, 32-byte root hash.
std::string TreeHeadSignatureInput(uint64_t timestamp, uint64_t tree_size, const Hash256& root);

// Key ID of a static-ct-api checkpoint signature: SHA-256(key name || 0x0A || 0x05 || log_id)[:4],
// big-endian.
uint32_t Rfc6962NoteKeyId(std::string_view key_name, const Hash256& log_id);

class LogVerifier {
 public:
  enum class KeyType { kEcdsaP256, kRsa };

  // key_b64: the log list's "key" (base64 DER SubjectPublicKeyInfo). log_id_b64: the log list's
  // "log_id"; when not empty it must equal base64(SHA-256(SPKI)). Errors: kInvalidArgument for bad
  // base64, an unparsable key, a key type other than EC P-256 / RSA (>= 2048 bits), or a log_id mismatch.
  static Result<LogVerifier> Create(std::string_view key_b64, std::string_view log_id_b64 = {});
  static Result<LogVerifier> FromSpki(std::string_view spki_der);

  const Hash256& log_id() const { return log_id_; }
  KeyType key_type() const { return key_type_; }

  // Checks sth.signature over TreeHeadSignatureInput(sth.timestamp, sth.tree_size, sth.root_hash).
  Status VerifySth(const SignedTreeHead& sth) const;

  // Checks the checkpoint's RFC6962NoteSignature: the signature line named like the origin whose key ID
  // is Rfc6962NoteKeyId(origin, log_id()). Other lines (witness cosignatures, other key types,
  // grease.invalid) are ignored. A checkpoint with extension lines is refused (static-ct-api forbids
  // them: the signature does not cover them). If expected_origin is not empty, cp.origin must equal it
  // (the signature does not cover the origin). Returns the signed timestamp (ms).
  Result<uint64_t> VerifyCheckpoint(const Checkpoint& cp, std::string_view expected_origin = {}) const;

  // Checks a TLS DigitallySigned struct (hash alg sha256 = 4, sig alg ecdsa = 3 / rsa = 1 matching the
  // key, opaque signature<0..2^16-1>, no trailing bytes) over `data`. `what` names it in errors.
  Status VerifyDigitallySigned(std::string_view data, std::string_view digitally_signed,
                               std::string_view what) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  Hash256 log_id_{};
  KeyType key_type_ = KeyType::kEcdsaP256;
};

}  // namespace ctdl
