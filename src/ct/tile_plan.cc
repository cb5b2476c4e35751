#include "ct/tile_plan.h"

#include <algorithm>

namespace ctdl {

TileFetch FullTileFallback(const TileFetch& fetch) {
  TileFetch full = fetch;
  full.width = static_cast<uint16_t>(kTileWidth);
  return full;
}

Result<TilePlan> TilePlan::Make(uint64_t position, uint64_t tree_size) {
  if (position > tree_size)
    return InvalidArgument("tile plan: position " + std::to_string(position) + " is beyond tree size " +
                           std::to_string(tree_size));
  return TilePlan(position, tree_size);
}

TilePlan::TilePlan(uint64_t position, uint64_t tree_size)
    : position_(position), tree_size_(tree_size), first_tile_(position / kTileWidth) {
  // Tiles first_tile_ .. ceil(tree_size / 256) - 1; written to avoid overflow near UINT64_MAX.
  uint64_t end_tile = tree_size / kTileWidth + (tree_size % kTileWidth != 0 ? 1 : 0);
  count_ = position == tree_size ? 0 : end_tile - first_tile_;
}

TileFetch TilePlan::at(uint64_t i) const {
  TileFetch f;
  if (count_ == 0) {
    f.tile = first_tile_;
    f.width = static_cast<uint16_t>(kTileWidth);
    f.begin = f.end = static_cast<uint16_t>(position_ % kTileWidth);
    return f;
  }
  i = std::min(i, count_ - 1);
  f.tile = first_tile_ + i;
  const uint64_t tile_start = f.tile * kTileWidth;
  const uint64_t entries = std::min<uint64_t>(kTileWidth, tree_size_ - tile_start);  // >= 1
  f.width = static_cast<uint16_t>(entries);
  f.end = f.width;
  f.begin = i == 0 ? static_cast<uint16_t>(position_ - tile_start) : 0;
  return f;
}

std::vector<TileFetch> TilePlan::ToVector(uint64_t max_count) const {
  std::vector<TileFetch> out;
  uint64_t n = std::min(count_, max_count);
  out.reserve(static_cast<size_t>(std::min<uint64_t>(n, 1u << 20)));
  for (uint64_t i = 0; i < n; ++i) out.push_back(at(i));
  return out;
}

}  // namespace ctdl
