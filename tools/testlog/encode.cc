#include "encode.h"

#include <fmt/format.h>
#include <openssl/sha.h>

namespace testlog {

using ctdl::AppendUint;
using ctdl::Hash256;

void AppendVec24(std::string* out, std::string_view data) {
  AppendUint(out, 3, data.size());
  out->append(data);
}

std::string MerkleLeafX509(uint64_t timestamp, std::string_view cert, std::string_view ext) {
  std::string out;
  out.reserve(cert.size() + 20);
  out.push_back(0);  // version v1
  out.push_back(0);  // timestamped_entry
  AppendUint(&out, 8, timestamp);
  AppendUint(&out, 2, 0);  // x509_entry
  AppendVec24(&out, cert);
  AppendUint(&out, 2, ext.size());  // extensions
  out.append(ext);
  return out;
}

std::string MerkleLeafPrecert(uint64_t timestamp, const Hash256& ikh, std::string_view tbs,
                              std::string_view ext) {
  std::string out;
  out.reserve(tbs.size() + 52);
  out.push_back(0);
  out.push_back(0);
  AppendUint(&out, 8, timestamp);
  AppendUint(&out, 2, 1);  // precert_entry
  out.append(reinterpret_cast<const char*>(ikh.data()), ikh.size());
  AppendVec24(&out, tbs);
  AppendUint(&out, 2, ext.size());
  out.append(ext);
  return out;
}

std::string LeafIndexExtension(uint64_t index) {
  std::string out;
  AppendUint(&out, 1, 0);
  AppendUint(&out, 2, 5);
  AppendUint(&out, 5, index);
  return out;
}

static std::string Chain24(const std::vector<std::string_view>& chain) {
  std::string inner;
  for (auto c : chain) AppendVec24(&inner, c);
  std::string out;
  AppendVec24(&out, inner);
  return out;
}

std::string ExtraDataX509(const std::vector<std::string_view>& chain) { return Chain24(chain); }

std::string ExtraDataPrecert(std::string_view pre, const std::vector<std::string_view>& chain) {
  std::string out;
  AppendVec24(&out, pre);
  out += Chain24(chain);
  return out;
}

std::string TileLeaf(std::string_view merkle_leaf, bool precert, std::string_view pre,
                     const std::vector<Hash256>& fps) {
  std::string out(merkle_leaf.substr(2));
  if (precert) AppendVec24(&out, pre);
  AppendUint(&out, 2, fps.size() * 32);
  for (auto& f : fps) out.append(reinterpret_cast<const char*>(f.data()), f.size());
  return out;
}

Hash256 LeafHash(std::string_view leaf) {
  SHA256_CTX c;
  SHA256_Init(&c);
  unsigned char zero = 0;
  SHA256_Update(&c, &zero, 1);
  SHA256_Update(&c, leaf.data(), leaf.size());
  Hash256 h;
  SHA256_Final(h.data(), &c);
  return h;
}

Hash256 NodeHash(const Hash256& l, const Hash256& r) {
  unsigned char buf[65];
  buf[0] = 1;
  memcpy(buf + 1, l.data(), 32);
  memcpy(buf + 33, r.data(), 32);
  Hash256 h;
  SHA256(buf, sizeof buf, h.data());
  return h;
}

std::string TreeHeadSignatureInput(uint64_t timestamp, uint64_t tree_size, const Hash256& root) {
  std::string out;
  out.push_back(0);  // v1
  out.push_back(1);  // tree_hash
  AppendUint(&out, 8, timestamp);
  AppendUint(&out, 8, tree_size);
  out.append(reinterpret_cast<const char*>(root.data()), root.size());
  return out;
}

std::string DigitallySigned(std::string_view sig) {
  std::string out;
  out.push_back(4);  // sha256
  out.push_back(3);  // ecdsa
  AppendUint(&out, 2, sig.size());
  out.append(sig);
  return out;
}

std::string TilePath(uint64_t n) {
  std::string out = fmt::format("{:03}", n % 1000);
  for (n /= 1000; n > 0; n /= 1000) out = fmt::format("x{:03}/", n % 1000) + out;
  return out;
}

bool ParseTilePath(std::string_view s, uint64_t* n) {
  uint64_t v = 0;
  while (true) {
    bool x = !s.empty() && s[0] == 'x';
    if (x) s.remove_prefix(1);
    if (s.size() < 3) return false;
    for (int i = 0; i < 3; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(3);
    if (!x) break;
    if (s.empty() || s[0] != '/') return false;
    s.remove_prefix(1);
    if (v > (1ULL << 50)) return false;
  }
  if (!s.empty()) return false;
  *n = v;
  return true;
}

}  // namespace testlog
