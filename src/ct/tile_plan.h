// Which data tiles to fetch to download entries [position, tree_size) of a static-ct-api log.
//
// Tile N holds entries [256*N, 256*N + 256). For a download from position p to tree size n:
//   - every tile N with 256*N < n is fetched; the first one may start in the middle (resume: entries
//     before p were committed already, so `begin` = p mod 256 of them are skipped);
//   - tiles below n/256 are full: tile/data/<N>;
//   - when n mod 256 = W != 0, the last tile is partial: tile/data/<N>.p/<W>, so the download ends at
//     exactly n.
// Fallback: a log may delete a partial tile once the full tile exists. When tile/data/<N>.p/<W> answers
// 404, fetch the full tile/data/<N> instead and take its first W entries (FullTileFallback). A 404 on a
// full tile below the checkpoint size is never skipped: retry, then report (the log was pruned).
//
// Pure values, thread-safe (const). The plan is random-access and O(1) in memory, so a scheduler can keep
// any number of tiles in flight over a billion-entry log without materialising the list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "ct/tile_leaf.h"
#include "ct/tile_path.h"

namespace ctdl {

struct TileFetch {
  uint64_t tile = 0;     // N
  uint16_t width = 256;  // what to request: 256 = tile/data/<N>, 1..255 = tile/data/<N>.p/<width>
  uint16_t begin = 0;    // first entry of the tile to emit (those before are committed already)
  uint16_t end = 256;    // one past the last entry to emit; == width, except after FullTileFallback

  uint64_t first_index() const { return tile * kTileWidth + begin; }  // log index of the first emitted entry
  uint64_t end_index() const { return tile * kTileWidth + end; }      // one past the last emitted entry
  uint16_t count() const { return static_cast<uint16_t>(end - begin); }
  bool is_partial() const { return width < kTileWidth; }
  std::string path() const { return DataTilePath(tile, width); }   // relative to the monitoring prefix
  DataTileSpec spec() const { return {tile, width, begin, end}; }  // for DecodeDataTile
  bool operator==(const TileFetch&) const = default;
};

// The same entries, fetched from the full tile: width 256, begin and end unchanged. A full fetch comes
// back unchanged.
TileFetch FullTileFallback(const TileFetch& fetch);

class TilePlan {
 public:
  // kInvalidArgument when position > tree_size. An empty plan (position == tree_size) is fine.
  static Result<TilePlan> Make(uint64_t position, uint64_t tree_size);

  uint64_t position() const { return position_; }
  uint64_t tree_size() const { return tree_size_; }
  uint64_t size() const { return count_; }  // number of fetches
  bool empty() const { return count_ == 0; }
  // The i-th fetch, in index order (0 <= i < size(); out-of-range i is clamped to the last fetch, and an
  // empty plan returns a zero-count fetch). Fetches are disjoint and together cover [position, tree_size).
  TileFetch at(uint64_t i) const;
  // The fetches as a list (at most max_count of them, from the start); for tests and small ranges.
  std::vector<TileFetch> ToVector(uint64_t max_count = UINT64_MAX) const;

 private:
  TilePlan(uint64_t position, uint64_t tree_size);
  uint64_t position_ = 0;
  uint64_t tree_size_ = 0;
  uint64_t first_tile_ = 0;
  uint64_t count_ = 0;
};

}  // namespace ctdl
