// Tile paths of tiled logs (c2sp.org/tlog-tiles, c2sp.org/static-ct-api).
//
//   hash tile:  tile/<L>/<N>[.p/<W>]      L = level 0..63
//   data tile:  tile/data/<N>[.p/<W>]     (static-ct-api: the TileLeaf entries of level-0 tile N)
//
// <N> is written in zero-padded 3-digit groups, every group but the last prefixed with 'x':
// 0 -> "000", 67 -> "067", 1234067 -> "x001/x234/067". ".p/<W>" (W in 1..255, decimal, no leading
// zeros) marks a partial tile holding only the first W entries; a full tile (256 entries) has no suffix.
//
// Pure functions, thread-safe. Paths are relative to the log's monitoring prefix (no leading '/').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace ctdl {

inline constexpr uint64_t kTileWidth = 256;  // entries (or hashes) in a full tile
inline constexpr int kMaxTileLevel = 63;

struct TileRef {
  static constexpr int kData = -1;  // level value of data tiles
  int level = kData;                // kData, or a hash-tile level 0..63
  uint64_t index = 0;               // N: tile number within its level
  uint16_t width = kTileWidth;      // 1..256; 256 = full tile

  bool is_data() const { return level == kData; }
  bool is_partial() const { return width < kTileWidth; }
  bool operator==(const TileRef&) const = default;
};

// "x001/x234/067" for 1234067.
std::string TileIndexPath(uint64_t n);

// "tile/data/<N>[.p/<W>]". width must be 1..256 (anything else is treated as 256: callers get widths
// from TilePlan, which only makes valid ones).
std::string DataTilePath(uint64_t n, uint16_t width = kTileWidth);
// "tile/<level>/<N>[.p/<W>]"; same width rule; level 0..63.
std::string HashTilePath(int level, uint64_t n, uint16_t width = kTileWidth);
// Either of the above, by ref.level.
std::string TilePath(const TileRef& ref);

// "issuer/<lowercase hex of the SHA-256>": where a static-ct-api log serves a chain certificate named by a
// TileLeaf fingerprint (LogEntry.chain_sha256).
std::string IssuerPath(const Hash256& fingerprint);

// Parses "tile/data/..." or "tile/<L>/..." (no leading '/', no query) strictly: only canonical paths
// are accepted, so ParseTilePath(TilePath(r)) == r and TilePath(ParseTilePath(p)) == p. Anything else
// (bad digits, missing 'x', leading zeros in L or W, W outside 1..255, N overflowing 64 bits) is
// kInvalidArgument. Meant for servers (ctdl-testlog) and for tests.
Result<TileRef> ParseTilePath(std::string_view path);

}  // namespace ctdl
