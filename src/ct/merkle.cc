#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init & co: the fastest way to hash two parts
#include "ct/merkle.h"

#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <charconv>

namespace ctdl {

Hash256 HashLeaf(std::string_view leaf) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  const unsigned char zero = 0;
  SHA256_Update(&ctx, &zero, 1);
  SHA256_Update(&ctx, leaf.data(), leaf.size());
  Hash256 h;
  SHA256_Final(h.data(), &ctx);
  return h;
}

Hash256 HashChildren(const Hash256& left, const Hash256& right) {
  // SHA256_Init/Update/Final, not the one-shot SHA256(): in OpenSSL 3 that one fetches the digest
  // through EVP on every call and is several times slower for 65 bytes.
  unsigned char buf[65];
  buf[0] = 1;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, buf, sizeof buf);
  Hash256 h;
  SHA256_Final(h.data(), &ctx);
  return h;
}

Hash256 EmptyTreeRoot() { return Sha256(""); }

Result<CompactRange> CompactRange::FromHashes(uint64_t size, std::vector<Hash256> hashes) {
  if (hashes.size() != static_cast<size_t>(std::popcount(size)))
    return Corrupt("compact range: hash count does not match tree size");
  CompactRange r;
  r.size_ = size;
  r.hashes_ = std::move(hashes);
  return r;
}

Result<CompactRange> CompactRange::Parse(std::string_view text) {
  if (text.empty()) return CompactRange();
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return Corrupt("compact range: missing ':'");
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + colon, size);
  if (ec != std::errc() || p != text.data() + colon) return Corrupt("compact range: bad size");
  TRY_ASSIGN(std::string raw, Base64Decode(text.substr(colon + 1)));
  if (raw.size() % 32) return Corrupt("compact range: hash bytes not a multiple of 32");
  std::vector<Hash256> hashes(raw.size() / 32);
  for (size_t i = 0; i < hashes.size(); ++i)
    std::copy(raw.begin() + 32 * i, raw.begin() + 32 * (i + 1), hashes[i].begin());
  return FromHashes(size, std::move(hashes));
}

std::string CompactRange::Serialize() const {
  std::string raw;
  for (const auto& h : hashes_) raw.append(AsView(h));
  return std::to_string(size_) + ":" + Base64Encode(raw);
}

void CompactRange::Append(const Hash256& leaf_hash) {
  // Merge equal-sized subtrees: one merge per trailing one-bit of the old size.
  Hash256 h = leaf_hash;
  for (uint64_t s = size_; s & 1; s >>= 1) {
    h = HashChildren(hashes_.back(), h);
    hashes_.pop_back();
  }
  hashes_.push_back(h);
  ++size_;
}

Status CompactRange::AppendSubtree(const Hash256& root, uint64_t leaves) {
  if (leaves == 0 || (leaves & (leaves - 1)) != 0 || size_ % leaves != 0)
    return InvalidArgument("a subtree of " + std::to_string(leaves) + " leaves cannot follow " +
                           std::to_string(size_) + " leaves");
  Hash256 h = root;
  for (uint64_t s = size_ / leaves; s & 1; s >>= 1) {
    h = HashChildren(hashes_.back(), h);
    hashes_.pop_back();
  }
  hashes_.push_back(h);
  size_ += leaves;
  return Status::Ok();
}

Status CompactRange::AppendRange(const CompactRange& local) {
  uint64_t n = local.size();
  if (n == 0) return Status::Ok();
  if (size_ % std::bit_ceil(n) != 0)
    return InvalidArgument("a range of " + std::to_string(n) + " leaves cannot follow " +
                           std::to_string(size_) + " leaves");
  size_t i = 0;
  for (uint64_t bit = std::bit_floor(n); bit; bit >>= 1)
    if (n & bit) TRY(AppendSubtree(local.hashes_[i++], bit));
  return Status::Ok();
}

Result<CompactRange> CompactRange::Prefix(uint64_t n) const {
  uint64_t low = n & (~n + 1);  // lowest set bit of n (0 for n == 0)
  if (n > size_ || (size_ & n) != n || (n != 0 && size_ - n >= low))
    return InvalidArgument("the compact range of " + std::to_string(size_) +
                           " leaves does not contain one of " + std::to_string(n));
  CompactRange out;
  out.size_ = n;
  out.hashes_.assign(hashes_.begin(), hashes_.begin() + std::popcount(n));
  return out;
}

Hash256 CompactRange::Root() const {
  if (hashes_.empty()) return EmptyTreeRoot();
  Hash256 h = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) h = HashChildren(hashes_[i], h);
  return h;
}

}  // namespace ctdl

namespace ctdl {
namespace {

// Largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

void SubProof(uint64_t m, std::span<const Hash256> d, bool b, std::vector<Hash256>* out) {
  const uint64_t n = d.size();
  if (m == n) {
    if (!b) out->push_back(MerkleRoot(d));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, d.first(k), b, out);
    out->push_back(MerkleRoot(d.subspan(k)));
  } else {
    SubProof(m - k, d.subspan(k), false, out);
    out->push_back(MerkleRoot(d.first(k)));
  }
}

}  // namespace

Hash256 MerkleRoot(std::span<const Hash256> leaves) {
  if (leaves.empty()) return EmptyTreeRoot();
  if (leaves.size() == 1) return leaves[0];
  const uint64_t k = SplitPoint(leaves.size());
  return HashChildren(MerkleRoot(leaves.first(k)), MerkleRoot(leaves.subspan(k)));
}

std::vector<Hash256> InclusionProof(uint64_t index, std::span<const Hash256> leaves) {
  std::vector<Hash256> out;
  if (index >= leaves.size()) return out;
  // Walk down from the root, collecting siblings, then reverse (the path lists leaf level first).
  std::span<const Hash256> d = leaves;
  while (d.size() > 1) {
    const uint64_t k = SplitPoint(d.size());
    if (index < k) {
      out.push_back(MerkleRoot(d.subspan(k)));
      d = d.first(k);
    } else {
      out.push_back(MerkleRoot(d.first(k)));
      d = d.subspan(k);
      index -= k;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<Hash256> ConsistencyProof(uint64_t size1, std::span<const Hash256> leaves) {
  std::vector<Hash256> out;
  if (size1 == 0 || size1 >= leaves.size()) return out;
  SubProof(size1, leaves, true, &out);
  return out;
}

}  // namespace ctdl
