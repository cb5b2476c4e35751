// RFC 6962 Merkle tree hashing and the compact range that lets a download verify every entry while
// keeping O(log n) state. Pure functions/values; a CompactRange is not thread-safe (one per log).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ctdl {

Hash256 HashLeaf(std::string_view leaf);                          // SHA-256(0x00 || leaf)
Hash256 HashChildren(const Hash256& left, const Hash256& right);  // SHA-256(0x01 || l || r)
Hash256 EmptyTreeRoot();                                          // SHA-256("")

// Reference implementations straight from RFC 6962 section 2.1, over leaf *hashes*; recursive, O(n log n)
// hashing, for tests, ctdl-testlog and small trees (use CompactRange for downloads). Total functions:
// an index or size out of range gives an empty proof, never an abort.
Hash256 MerkleRoot(std::span<const Hash256> leaves);  // MTH(D[n]); EmptyTreeRoot() for n == 0
// PATH(index, D[n]) (RFC 6962 2.1.1); empty if index >= leaves.size().
std::vector<Hash256> InclusionProof(uint64_t index, std::span<const Hash256> leaves);
// PROOF(size1, D[n]) (RFC 6962 2.1.2); empty if size1 == 0 or size1 >= n (empty by definition at n).
std::vector<Hash256> ConsistencyProof(uint64_t size1, std::span<const Hash256> leaves);

// The roots of the perfect subtrees that make up [0, size): one per set bit of size, largest first.
class CompactRange {
 public:
  CompactRange() = default;
  // kCorrupt unless hashes.size() == popcount(size).
  static Result<CompactRange> FromHashes(uint64_t size, std::vector<Hash256> hashes);
  // Text form stored in the state store (doc/state.md): "<size>:<base64 of the concatenated hashes>".
  static Result<CompactRange> Parse(std::string_view text);
  std::string Serialize() const;

  uint64_t size() const { return size_; }
  const std::vector<Hash256>& hashes() const { return hashes_; }
  void Append(const Hash256& leaf_hash);
  Hash256 Root() const;  // MTH of [0, size); EmptyTreeRoot() for size 0

  // Folding ranges downloaded separately (chunks, doc/distributed.md). A compact range built from
  // index 0 over the leaves of [s, s + n) has the hashes of the subtrees of [s, s + n) whenever s is
  // a multiple of bit_ceil(n), so chunks of a power-of-two size fold into the whole tree:
  // Appends the perfect subtree [size(), size() + leaves) with root `root`. kInvalidArgument unless
  // leaves is a power of two and size() is a multiple of it.
  Status AppendSubtree(const Hash256& root, uint64_t leaves);
  // Appends a compact range of [size(), size() + local.size()) built as above. kInvalidArgument
  // unless size() is a multiple of bit_ceil(local.size()).
  Status AppendRange(const CompactRange& local);
  // The compact range of [0, n) when it is part of this one: n's set bits are the high set bits of
  // size() (size() - n below n's lowest set bit; n == 0 always works). kInvalidArgument otherwise.
  Result<CompactRange> Prefix(uint64_t n) const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash256> hashes_;
};

}  // namespace ctdl
