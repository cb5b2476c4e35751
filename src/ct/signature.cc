#include "ct/signature.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

namespace ctdl {
namespace {

constexpr uint8_t kHashSha256 = 4;
constexpr uint8_t kSigRsa = 1;
constexpr uint8_t kSigEcdsa = 3;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string B64(const Hash256& h) { return Base64Encode(AsView(h)); }

}  // namespace

std::string TreeHeadSignatureInput(uint64_t timestamp, uint64_t tree_size, const Hash256& root) {
  std::string out;
  out.reserve(2 + 8 + 8 + 32);
  AppendUint(&out, 1, 0);  // version v1
  AppendUint(&out, 1, 1);  // signature_type tree_hash
  AppendUint(&out, 8, timestamp);
  AppendUint(&out, 8, tree_size);
  out.append(AsView(root));
  return out;
}

uint32_t Rfc6962NoteKeyId(std::string_view key_name, const Hash256& log_id) {
  std::string input(key_name);
  input += '\n';
  input += '\x05';
  input.append(AsView(log_id));
  Hash256 h = Sha256(input);
  return (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | uint32_t{h[3]};
}

Result<LogVerifier> LogVerifier::Create(std::string_view key_b64, std::string_view log_id_b64) {
  auto der = Base64Decode(key_b64);
  if (!der.ok()) return InvalidArgument("log key is not valid base64");
  TRY_ASSIGN(LogVerifier v, FromSpki(*der));
  if (!log_id_b64.empty()) {
    auto id = Base64Decode(log_id_b64);
    if (!id.ok() || *id != AsView(v.log_id_)) {
      return InvalidArgument("log_id " + std::string(log_id_b64) +
                             " is not the SHA-256 of the log's key (that is " + B64(v.log_id_) + ")");
    }
  }
  return v;
}

Result<LogVerifier> LogVerifier::FromSpki(std::string_view spki_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  const unsigned char* end = p + spki_der.size();
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()));
  if (raw == nullptr) {
    ERR_clear_error();
    return InvalidArgument("log key is not a DER SubjectPublicKeyInfo OpenSSL can read");
  }
  LogVerifier v;
  v.key_.reset(raw, EVP_PKEY_free);
  if (p != end) return InvalidArgument("log key has trailing bytes after the SubjectPublicKeyInfo");
  if (EVP_PKEY_is_a(raw, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(raw, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) ||
        std::strcmp(group, SN_X9_62_prime256v1) != 0) {
      ERR_clear_error();
      return InvalidArgument(std::string("log key is an EC key on curve '") + group + "', not P-256");
    }
    v.key_type_ = KeyType::kEcdsaP256;
  } else if (EVP_PKEY_is_a(raw, "RSA")) {
    if (EVP_PKEY_get_bits(raw) < 2048) {
      return InvalidArgument("log key is an RSA key of " + std::to_string(EVP_PKEY_get_bits(raw)) +
                             " bits, fewer than 2048");
    }
    v.key_type_ = KeyType::kRsa;
  } else {
    return InvalidArgument("log key is neither ECDSA P-256 nor RSA");
  }
  v.log_id_ = Sha256(spki_der);
  return v;
}

Status LogVerifier::VerifyDigitallySigned(std::string_view data, std::string_view digitally_signed,
                                          std::string_view what) const {
  const std::string w(what);
  ByteReader r(digitally_signed);
  uint64_t hash_alg = 0, sig_alg = 0;
  std::string_view sig;
  if (!r.ReadUint(1, &hash_alg) || !r.ReadUint(1, &sig_alg) || !r.ReadVector(2, &sig)) {
    return VerifyFailed(w + ": signature is truncated (" + std::to_string(digitally_signed.size()) +
                        " bytes)");
  }
  if (!r.empty()) {
    return VerifyFailed(w + ": " + std::to_string(r.remaining()) + " stray bytes after the signature");
  }
  if (hash_alg != kHashSha256) {
    return VerifyFailed(w + ": signature uses hash algorithm " + std::to_string(hash_alg) +
                        ", not SHA-256 (4)");
  }
  const uint8_t want = key_type_ == KeyType::kRsa ? kSigRsa : kSigEcdsa;
  if (sig_alg != want) {
    return VerifyFailed(w + ": signature algorithm " + std::to_string(sig_alg) +
                        " does not match the log's " +
                        (key_type_ == KeyType::kRsa ? "RSA key (1)" : "ECDSA key (3)"));
  }
  if (!key_) return VerifyFailed(w + ": no log key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    ERR_clear_error();
    return Internal(w + ": OpenSSL could not set up signature verification");
  }
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size());
  if (rc != 1) {
    ERR_clear_error();
    return VerifyFailed(w + ": signature does not verify with the log's key");
  }
  return Status::Ok();
}

Status LogVerifier::VerifySth(const SignedTreeHead& sth) const {
  return VerifyDigitallySigned(TreeHeadSignatureInput(sth.timestamp, sth.tree_size, sth.root_hash),
                               sth.signature,
                               "tree head of size " + std::to_string(sth.tree_size) + " (timestamp " +
                                   std::to_string(sth.timestamp) + ", root " + B64(sth.root_hash) + ")");
}

Result<uint64_t> LogVerifier::VerifyCheckpoint(const Checkpoint& cp, std::string_view expected_origin) const {
  const std::string what = "checkpoint of " + cp.origin + " at size " + std::to_string(cp.size);
  if (!expected_origin.empty() && cp.origin != expected_origin) {
    return VerifyFailed(what + ": origin is not the expected " + std::string(expected_origin));
  }
  if (!cp.extensions.empty()) {
    return VerifyFailed(what +
                        ": has extension lines, which an RFC 6962 note signature does not "
                        "cover");
  }
  const uint32_t key_id = Rfc6962NoteKeyId(cp.origin, log_id_);
  Status last = VerifyFailed(
      what + ": no signature line from the log's key (name " + cp.origin + ", key ID " +
      HexEncode(std::string{char(key_id >> 24), char(key_id >> 16), char(key_id >> 8), char(key_id)}) + ")");
  for (const NoteSignature& s : cp.signatures) {
    if (s.name != cp.origin || s.key_id != key_id) continue;
    ByteReader r(s.signature);
    uint64_t timestamp = 0;
    if (!r.ReadUint(8, &timestamp)) {
      last = VerifyFailed(what + ": note signature is shorter than its timestamp");
      continue;
    }
    std::string_view ds;
    if (!r.ReadBytes(r.remaining(), &ds)) continue;
    last = VerifyDigitallySigned(TreeHeadSignatureInput(timestamp, cp.size, cp.root_hash), ds, what);
    if (last.ok()) return timestamp;
  }
  return last;
}

}  // namespace ctdl
