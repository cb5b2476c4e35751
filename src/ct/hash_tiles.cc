#include "ct/hash_tiles.h"

#include <algorithm>
#include <bit>
#include <map>
#include <utility>

#include "ct/proof.h"

namespace ctdl {

namespace {

constexpr uint32_t kTileHeight = 8;

// Reads Merkle tree nodes out of the hash tiles of one tree size, fetching each tile once.
class TileReader {
 public:
  TileReader(uint64_t tree_size, const TileFetcher& fetch) : tree_size_(tree_size), fetch_(fetch) {}

  // The root of the perfect subtree at height h (2^h leaves) number i. Requires it to lie in the tree.
  Result<Hash256> Node(uint32_t h, uint64_t i) {
    if (h >= 64 || i >= (tree_size_ >> h)) {
      return Internal("hash tiles: node (" + std::to_string(h) + ", " + std::to_string(i) +
                      ") is outside tree size " + std::to_string(tree_size_));
    }
    const uint32_t level = h / kTileHeight, r = h % kTileHeight;
    const uint64_t first = i << r;  // first hash at tree height 8*level
    const uint64_t count = uint64_t{1} << r;
    const uint64_t tile_index = first / kTileWidth;
    TRY_ASSIGN(const std::vector<Hash256>* tile, Tile(level, tile_index));
    const uint64_t offset = first % kTileWidth;
    if (offset + count > tile->size()) {
      return Internal("hash tiles: node outside its tile");  // excluded by the range check above
    }
    return MerkleRoot(std::span<const Hash256>(tile->data() + offset, count));
  }

  // MTH(D[a:b]) for a subtree of the RFC 6962 shape (a a multiple of bit_ceil(b - a)).
  Result<Hash256> Range(uint64_t a, uint64_t b) {
    std::vector<Hash256> parts;
    for (uint64_t pos = a; pos < b;) {
      const uint32_t h = std::bit_width(b - pos) - 1;  // largest perfect subtree that fits
      TRY_ASSIGN(Hash256 node, Node(h, pos >> h));
      parts.push_back(node);
      pos += uint64_t{1} << h;
    }
    if (parts.empty()) return EmptyTreeRoot();
    Hash256 root = parts.back();
    for (size_t k = parts.size() - 1; k-- > 0;) root = HashChildren(parts[k], root);
    return root;
  }

 private:
  Result<const std::vector<Hash256>*> Tile(uint32_t level, uint64_t index) {
    auto key = std::make_pair(level, index);
    auto it = tiles_.find(key);
    if (it != tiles_.end()) return &it->second;
    const uint64_t hashes_at_level = tree_size_ >> (kTileHeight * level);
    const uint64_t width = std::min(kTileWidth, hashes_at_level - index * kTileWidth);
    TileRef tile{static_cast<int>(level), index, static_cast<uint16_t>(width)};
    TRY_ASSIGN(std::string bytes, fetch_(tile));
    const bool full_ok = bytes.size() == kTileWidth * 32;
    const bool partial_ok = width < kTileWidth && bytes.size() == width * 32;
    if (!full_ok && !partial_ok) {
      return Corrupt("hash tile " + TilePath(tile) + " has " + std::to_string(bytes.size()) +
                     " bytes, expected " + std::to_string(width * 32) +
                     (width < kTileWidth ? " (or 8192 for the full tile)" : ""));
    }
    std::vector<Hash256> hashes(width);
    for (uint64_t k = 0; k < width; ++k) {
      std::copy_n(bytes.begin() + 32 * k, 32, hashes[k].begin());
    }
    return &tiles_.emplace(key, std::move(hashes)).first->second;
  }

  uint64_t tree_size_;
  const TileFetcher& fetch_;
  std::map<std::pair<uint32_t, uint64_t>, std::vector<Hash256>> tiles_;
};

Result<CompactRange> RangeFromReader(uint64_t size, TileReader& reader) {
  std::vector<Hash256> hashes;
  uint64_t pos = 0;
  for (int h = 63; h >= 0; --h) {
    if (!((size >> h) & 1)) continue;
    TRY_ASSIGN(Hash256 node, reader.Node(h, pos >> h));
    hashes.push_back(node);
    pos += uint64_t{1} << h;
  }
  return CompactRange::FromHashes(size, std::move(hashes));
}

// SUBPROOF(m, D[start:start+n], b) of RFC 6962 2.1.2, nodes read from tiles.
Status SubProof(uint64_t m, uint64_t start, uint64_t n, bool b, TileReader& reader,
                std::vector<Hash256>* out) {
  if (m == n) {
    if (!b) {
      TRY_ASSIGN(Hash256 h, reader.Range(start, start + n));
      out->push_back(h);
    }
    return Status::Ok();
  }
  const uint64_t k = std::bit_floor(n - 1);
  if (m <= k) {
    TRY(SubProof(m, start, k, b, reader, out));
    TRY_ASSIGN(Hash256 h, reader.Range(start + k, start + n));
    out->push_back(h);
  } else {
    TRY(SubProof(m - k, start + k, n - k, false, reader, out));
    TRY_ASSIGN(Hash256 h, reader.Range(start, start + k));
    out->push_back(h);
  }
  return Status::Ok();
}

Result<std::vector<Hash256>> ProofFromReader(uint64_t size1, uint64_t size2, TileReader& reader) {
  std::vector<Hash256> proof;
  if (size1 == 0 || size1 >= size2) return proof;
  TRY(SubProof(size1, 0, size2, true, reader, &proof));
  return proof;
}

}  // namespace

Result<CompactRange> CompactRangeFromTiles(uint64_t size, uint64_t tree_size, const TileFetcher& fetch) {
  if (size > tree_size) {
    return InvalidArgument("compact range for size " + std::to_string(size) +
                           " asked from the tiles of the smaller tree size " + std::to_string(tree_size));
  }
  TileReader reader(tree_size, fetch);
  return RangeFromReader(size, reader);
}

Result<std::vector<Hash256>> ConsistencyProofFromTiles(uint64_t size1, uint64_t size2,
                                                       const TileFetcher& fetch) {
  TileReader reader(size2, fetch);
  return ProofFromReader(size1, size2, reader);
}

Status VerifyConsistencyFromTiles(uint64_t size1, const Hash256& root1, uint64_t size2, const Hash256& root2,
                                  const TileFetcher& fetch) {
  if (size1 > size2) {
    return VerifyFailed("tree size went backwards: " + std::to_string(size1) + " -> " +
                        std::to_string(size2));
  }
  TileReader reader(size2, fetch);
  TRY_ASSIGN(std::vector<Hash256> proof, ProofFromReader(size1, size2, reader));
  Status s = VerifyConsistency(size1, size2, root1, root2, proof);
  if (!s.ok()) return s.Annotate("hash tiles");
  return Status::Ok();
}

Result<CompactRange> VerifiedCompactRangeFromTiles(uint64_t size, uint64_t tree_size, const Hash256& root,
                                                   const TileFetcher& fetch) {
  if (size > tree_size) {
    return InvalidArgument("position " + std::to_string(size) + " is beyond the signed tree size " +
                           std::to_string(tree_size));
  }
  TileReader reader(tree_size, fetch);
  TRY_ASSIGN(CompactRange range, RangeFromReader(size, reader));
  if (size == tree_size) {
    if (range.Root() != root) {
      return VerifyFailed("hash tiles give root " + RootToString(range.Root()) + " for tree size " +
                          std::to_string(size) + ", but the signed root is " + RootToString(root));
    }
    return range;
  }
  TRY_ASSIGN(std::vector<Hash256> proof, ProofFromReader(size, tree_size, reader));
  Status s = VerifyConsistency(size, tree_size, range.Root(), root, proof);
  if (!s.ok()) return s.Annotate("hash tiles");
  return range;
}

}  // namespace ctdl
