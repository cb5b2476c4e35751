// Tile bodies may arrive gzip-compressed whether or not we asked (static-ct-api logs store tiles
// compressed and CDNs pass them on as-is). This detects the gzip magic and inflates with zlib, with a cap
// on the inflated size so a hostile tile cannot exhaust memory (zip bomb).
//
// Detection is unambiguous for data tiles: a TileLeaf starts with a uint64 millisecond timestamp whose
// first byte is 0x00 for any time before 2^56 ms (year ~2.28 million), never the gzip magic 0x1f 0x8b.
// Do NOT sniff hash tiles this way: they start with raw hash bytes, which equal the magic by chance once
// in 65536 tiles; for them rely on the Content-Encoding header.
//
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ctdl {

// Default cap on one inflated tile. A full data tile of real logs is ~0.5-1 MiB (256 entries of a few KB).
inline constexpr size_t kMaxTileBytes = 32u << 20;

// True when body starts with the gzip magic 0x1f 0x8b.
bool IsGzip(std::string_view body);

// Inflates a gzip stream (RFC 1952; several concatenated members are allowed, as in Go's gzip reader).
// Errors (kCorrupt): not gzip, truncated or bad stream, CRC/length mismatch, trailing bytes that are not
// another gzip member, or more than max_size inflated bytes. *out is replaced.
Status GunzipTile(std::string_view gz, std::string* out, size_t max_size = kMaxTileBytes);

// The tile's bytes: `body` itself when it is not gzip (no copy; the view aliases body), else the inflated
// bytes stored in *scratch (the view aliases *scratch, which must outlive it); a body gzipped twice is
// inflated twice. Errors as GunzipTile; a body that is not gzip but longer than max_size, or one gzipped
// three times or more, is also kCorrupt.
Result<std::string_view> TileBytes(std::string_view body, std::string* scratch,
                                   size_t max_size = kMaxTileBytes);

}  // namespace ctdl
