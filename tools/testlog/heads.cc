#include "heads.h"

#include <fmt/format.h>

#include <chrono>

#include "encode.h"

namespace testlog {

using ctdl::Result;

Result<SignedHead> HeadSigner::Get(uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(size);
  if (it != cache_.end()) return it->second;
  SignedHead h;
  h.size = size;
  h.root = log_->Root(size);
  uint64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  h.timestamp = std::max(now, last_timestamp_ + 1);
  if (size > 0) {  // never older than the newest entry it covers
    std::string_view leaf = log_->TileLeaves(size - 1, size);
    uint64_t ts = 0;
    for (int i = 0; i < 8 && i < static_cast<int>(leaf.size()); ++i)
      ts = (ts << 8) | static_cast<uint8_t>(leaf[i]);
    h.timestamp = std::max(h.timestamp, ts + 1);
  }
  last_timestamp_ = h.timestamp;
  std::string input = TreeHeadSignatureInput(h.timestamp + (bad_ ? 1 : 0), size, h.root);
  TRY_ASSIGN(std::string sig, SignSha256(log_->key(), input));
  h.signature = DigitallySigned(sig);
  cache_[size] = h;
  return h;
}

std::string HeadSigner::SthJson(const SignedHead& h) {
  return fmt::format(
      "{{\"tree_size\":{},\"timestamp\":{},\"sha256_root_hash\":\"{}\",\"tree_head_signature\":"
      "\"{}\"}}",
      h.size, h.timestamp, ctdl::Base64Encode(ctdl::AsView(h.root)), ctdl::Base64Encode(h.signature));
}

std::string NoteKeyId(const std::string& origin, const std::string& spki) {
  ctdl::Hash256 log_id = ctdl::Sha256(spki);
  std::string in = origin;
  in.push_back('\n');
  in.push_back('\x05');
  in.append(ctdl::AsView(log_id));
  return std::string(ctdl::AsView(ctdl::Sha256(in)).substr(0, 4));
}

std::string HeadSigner::Checkpoint(const SignedHead& h, const std::string& origin) const {
  std::string sig = NoteKeyId(origin, log_->spki());
  ctdl::AppendUint(&sig, 8, h.timestamp);
  sig += h.signature;
  return fmt::format("{}\n{}\n{}\n\n\xe2\x80\x94 {} {}\n", origin, h.size,
                     ctdl::Base64Encode(ctdl::AsView(h.root)), origin, ctdl::Base64Encode(sig));
}

}  // namespace testlog
