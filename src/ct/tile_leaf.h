// static-ct-api data tiles (c2sp.org/static-ct-api) -> LogEntry values (ct/log_entry.h).
//
// A data tile is the concatenation of `width` TileLeaf structures, nothing before or after:
//   struct {
//     TimestampedEntry timestamped_entry;        // exactly the RFC 6962 TimestampedEntry:
//         uint64 timestamp; uint16 entry_type (0 x509_entry, 1 precert_entry);
//         x509_entry:    ASN.1Cert certificate<1..2^24-1>
//         precert_entry: opaque issuer_key_hash[32]; TBSCertificate tbs_certificate<1..2^24-1>
//         CtExtensions extensions<0..2^16-1>
//     precert_entry only: ASN.1Cert pre_certificate<1..2^24-1>
//     Fingerprint certificate_chain<0..2^16-1>;  // SHA-256 (32 bytes) of each chain certificate
//   } TileLeaf;
// CtExtensions is a list of { uint8 extension_type; opaque extension_data<0..2^16-1> }; type 0 is
// leaf_index, whose data is a uint40: the entry's index in the log.
//
// Leaf hash (RFC 6962): SHA-256(0x00 || MerkleTreeLeaf), MerkleTreeLeaf = version 0 (1 byte),
// leaf_type 0 (1 byte), then the TimestampedEntry bytes exactly as they are in the tile.
//
// Errors are for the whole tile (the TileLeaf framing leaves no way to skip one bad entry): any of
// truncation, fewer or more entries than expected, trailing bytes, an unknown entry_type, an empty
// certificate, a fingerprint list that is not a multiple of 32 bytes, malformed CtExtensions, a duplicate
// leaf_index, or a leaf_index different from the expected index gives kCorrupt, and the caller retries
// the fetch (a truncated transfer or a bad cache entry), then reports it. LogEntry.error is never set
// here: whether the certificate DER parses is the extractor's business.
//
// Pure functions over caller-owned bytes; thread-safe. Never aborts on hostile bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "ct/log_entry.h"
#include "ct/tile_gzip.h"

namespace ctdl {

// One TileLeaf, as views into the tile bytes (which must outlive the view).
struct TileLeafView {
  uint64_t timestamp = 0;
  EntryType type = EntryType::kX509;
  std::string_view issuer_key_hash;    // precert: 32 bytes; x509: empty
  std::string_view certificate;        // x509: the leaf certificate; precert: the TBSCertificate
  std::string_view extensions;         // CtExtensions contents, without the length prefix
  std::string_view pre_certificate;    // precert: the pre_certificate; x509: empty
  std::string_view fingerprints;       // concatenated 32-byte SHA-256 fingerprints of the chain
  std::string_view timestamped_entry;  // the raw TimestampedEntry bytes (input of the leaf hash)
  std::optional<uint64_t> leaf_index;  // from the leaf_index extension, when present

  size_t chain_length() const { return fingerprints.size() / 32; }
};

// Reads one TileLeaf from the front of *rest and removes it from *rest; out's views alias the bytes of
// *rest. kCorrupt on any framing problem listed above (except the expected-index check, which is the
// caller's); then *rest is unchanged and *out unspecified.
Status ReadTileLeaf(std::string_view* rest, TileLeafView* out);

// Parses CtExtensions contents; returns the leaf_index when present, nullopt when absent.
// kCorrupt when the list is malformed or leaf_index appears twice or is not exactly 5 bytes.
// Unknown extension types are skipped.
Result<std::optional<uint64_t>> ParseLeafIndexExtension(std::string_view extensions);

// RFC 6962 leaf hash of one TileLeaf (from view.timestamped_entry).
Hash256 TileLeafHash(const TileLeafView& view);

// Fills *entry (index, timestamp, type, cert = certificate or pre_certificate, chain_sha256, leaf_hash,
// has_leaf_hash = true, error cleared) from one view.
void TileLeafToLogEntry(const TileLeafView& view, uint64_t index, LogEntry* entry);

// What to take from one data tile. TileFetch (ct/tile_plan.h) converts to this.
struct DataTileSpec {
  uint64_t tile = 0;     // N: entry i of the tile has log index N*256 + i
  uint16_t width = 256;  // entries the body must hold exactly: 256 (full) or 1..255 (partial)
  uint16_t begin = 0;    // first entry to return
  uint16_t end = 256;    // one past the last entry to return; begin <= end <= width
};

// Decodes a data tile body (gzip-compressed or not; inflated size capped at max_size) and appends entries
// [begin, end) to *out with their log indexes. Every entry of the tile is framed and leaf_index-checked
// (so a short or corrupt tile is always caught), but only [begin, end) is hashed and copied.
// kInvalidArgument for an impossible spec; kCorrupt as described at the top. On error *out is unchanged.
Status DecodeDataTile(std::string_view body, const DataTileSpec& spec, std::vector<LogEntry>* out,
                      size_t max_size = kMaxTileBytes);
// The same into slots (ct/log_entry.h: the LogEntry objects beyond out->size() are reused).
Status DecodeDataTile(std::string_view body, const DataTileSpec& spec, EntrySlots* out,
                      size_t max_size = kMaxTileBytes);

// Appends one TileLeaf built from view's fields (timestamp, type, issuer_key_hash, certificate,
// extensions, pre_certificate, fingerprints; timestamped_entry and leaf_index are ignored). For tests,
// fuzz seeds and ctdl-testlog. kInvalidArgument when a field breaks a length bound of the format.
Status AppendTileLeaf(const TileLeafView& view, std::string* out);

// CtExtensions contents holding just the leaf_index extension (8 bytes): 00 0005 <uint40>.
std::string LeafIndexExtension(uint64_t index);

}  // namespace ctdl
