// Merkle verification state from tlog-tiles hash tiles (c2sp.org/tlog-tiles, static-ct-api):
// tile/<L>/<N>[.p/<W>] holds up to 256 consecutive hashes of tree level 8*L, i.e. the roots of the
// subtrees of 256^L leaves number N*256 .. N*256+W-1. From at most a few tiles per level this rebuilds
// the compact range of any prefix of the log, and RFC 6962 consistency proofs between tree sizes.
//
// Trust: tiles are bytes from a log. Nothing computed here is trusted until it is checked against a
// signed root: use VerifiedCompactRangeFromTiles / VerifyConsistencyFromTiles, which do that.
// Thread safety: the functions are reentrant; the fetcher is called from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "ct/merkle.h"
#include "ct/tile_path.h"

namespace ctdl {

// Returns the bytes of `tile`, as served by the log whose tree size was given to the function the
// fetcher is passed to. For a partial tile (width < 256) that is gone because the full tile now
// exists, the fetcher should return the full tile (8192 bytes): only the first `width` hashes are used.
// Errors are passed through unchanged (kUnavailable for a retryable fetch failure, etc.).
// The fetcher is only ever asked for hash tiles (tile.level >= 0); TilePath(tile) is the path to GET.
using TileFetcher = std::function<Result<std::string>(const TileRef& tile)>;

// The compact range of [0, size) computed from the hash tiles of a tree of `tree_size` leaves
// (size <= tree_size; the tiles requested are those that exist for tree_size, so pass the size of the
// checkpoint the tiles were published for). Fetches at most one tile per level. NOT verified by
// itself: compare Root() with a signed root of `size`, or use VerifiedCompactRangeFromTiles.
// Errors: kInvalidArgument if size > tree_size; kCorrupt if a tile has the wrong length; fetch errors.
Result<CompactRange> CompactRangeFromTiles(uint64_t size, uint64_t tree_size, const TileFetcher& fetch);

// The RFC 6962 consistency proof size1 -> size2 built from the hash tiles of tree size2 (what
// get-sth-consistency would return). Empty for size1 == 0 or size1 >= size2.
Result<std::vector<Hash256>> ConsistencyProofFromTiles(uint64_t size1, uint64_t size2,
                                                       const TileFetcher& fetch);

// Checks that the signed tree (size2, root2) extends the signed tree (size1, root1), using the hash
// tiles of tree size2. kVerifyFailed when it does not (names both sizes and the differing roots).
Status VerifyConsistencyFromTiles(uint64_t size1, const Hash256& root1, uint64_t size2, const Hash256& root2,
                                  const TileFetcher& fetch);

// The compact range of [0, size) for a log whose signed tree head is (tree_size, root), proven: the
// range is rebuilt from tiles and its root is proven consistent with the signed root (for
// size == tree_size: equal to it). This is how a position taken over from another tool (no stored
// compact range) becomes fully verified for tiled logs.
Result<CompactRange> VerifiedCompactRangeFromTiles(uint64_t size, uint64_t tree_size, const Hash256& root,
                                                   const TileFetcher& fetch);

}  // namespace ctdl
