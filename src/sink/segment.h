// Segments: how records are stored in the archive (format documented in doc/segments.md).
//   key   = <log-slug>/<first:012>-<last:012>.jsonl.gz   (or .jsonl.zst; `last` is inclusive)
//   bytes = gzip (or zstd) of NDJSON: one JSON record per line, in index order, each line ending "\n".
// Pure functions and a small builder; thread-safe (compressor state is per thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ctdl {

enum class Compression { kGzip, kZstd };

// "gzip" | "zstd" (as given to --compression).
Result<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression c);       // "gzip" | "zstd"
std::string_view SegmentExtension(Compression c);      // ".jsonl.gz" | ".jsonl.zst"

// Folder name of a log in the archive, derived from its URL only (deterministic, readable):
//   drop the scheme ("https://"), drop trailing '/', lowercase the host, then map every byte outside
//   [A-Za-z0-9.-] (so '/', ':', '_', '%', '?', ...) to '_'; a leading '.' becomes '_'; empty -> "log".
//   "https://ct.googleapis.com/logs/argon2025h2/" -> "ct.googleapis.com_logs_argon2025h2"
//   "http://127.0.0.1:8080/testlog/"             -> "127.0.0.1_8080_testlog"
std::string LogSlug(std::string_view log_url);

// "<slug>/<first:012>-<last:012><ext>". Requires first <= last. Indexes above 999999999999 simply
// use more digits (names still sort correctly within one width).
std::string SegmentKey(std::string_view slug, uint64_t first, uint64_t last, Compression c);
// Prefix under which all segments of a log live: "<slug>/".
std::string SegmentPrefix(std::string_view slug);

struct SegmentName {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  Compression compression = Compression::kGzip;
};
// Parses a full key ("slug/000000000000-000000000099.jsonl.gz") or only its last component.
// nullopt for anything else (temp files, foreign objects, first > last, non-digits).
std::optional<SegmentName> ParseSegmentKey(std::string_view key);

// NDJSON -> compressed bytes, one gzip member or zstd frame. gzip by default (level 0) is ISA-L's
// igzip level 1 (on 256-record pieces of real records about half of libdeflate level 1's CPU for
// ~6 % more bytes, doc/segments.md); an explicit level 1..12 uses libdeflate. zstd uses libzstd
// (level 1..19; default 3).
Result<std::string> CompressSegment(std::string_view ndjson, Compression c, int level = 0);
// Compressed bytes -> NDJSON, for tests and verification. Bytes are untrusted: errors are kCorrupt;
// output larger than max_bytes is kCorrupt too (guards against decompression bombs).
Result<std::string> DecompressSegment(std::string_view data, Compression c,
                                      size_t max_bytes = size_t{1} << 32);

// A segment's bytes are a sequence of pieces, each one gzip member or zstd frame (concatenated
// members/frames are valid gzip/zstd; doc/segments.md). A piece ends at every index that is a
// multiple of kPieceEntries and at the segment's end, so the bytes of a segment depend only on its
// records and its boundaries, not on how replies were cut or which thread compressed a piece.
inline constexpr uint64_t kPieceEntries = 256;

// Collects the records of one segment, compressing each piece as soon as it is complete (records kept
// uncompressed only for the piece being filled). Not thread-safe (one per segment).
class SegmentBuilder {
 public:
  explicit SegmentBuilder(uint64_t first, Compression c = Compression::kGzip, int level = 0)
      : first_(first), compression_(c), level_(level) {}
  // Appends one record (a JSON object without a newline; a trailing '\n' is tolerated).
  void Add(std::string_view record_json);
  // Appends `count` records already compressed (CompressSegment with this builder's compression and
  // level) as one piece: it must start at next() with no record pending (AtPieceStart) and end at a
  // piece end (a multiple of kPieceEntries, or where the caller seals the segment). The caller checks
  // both; then the segment's bytes are the same as if the records had been Add()ed.
  void AddPacked(uint64_t count, std::string_view packed);
  void AddPacked(uint64_t count, std::string&& packed);  // the same, keeping `packed`'s buffer (no copy)
  bool AtPieceStart() const { return pending_count_ == 0; }
  uint64_t first() const { return first_; }
  uint64_t count() const { return count_; }
  uint64_t next() const { return first_ + count_; }
  bool empty() const { return count_ == 0; }
  uint64_t last() const { return first_ + count_ - 1; }  // only when !empty()
  Compression compression() const { return compression_; }
  // Key and compressed bytes (the pieces so far plus the pending records as a last piece);
  // kInvalidArgument when empty. Another compression than the builder's re-encodes the whole segment.
  Result<std::string> Key(std::string_view slug, Compression c) const;
  Result<std::string> Compress(Compression c, int level = 0) const;
  // The same into *out (replaced; its capacity kept: a writer reuses one buffer for every segment
  // instead of faulting in ~10 MB of fresh pages per segment).
  Status CompressTo(Compression c, int level, std::string* out) const;
  // The uncompressed NDJSON of the whole segment (tests, checks; decompresses the pieces).
  Result<std::string> Ndjson() const;

 private:
  void PackPending();

  uint64_t first_;
  Compression compression_;
  int level_;
  uint64_t count_ = 0;
  std::vector<std::string> packed_;  // complete pieces, compressed (one block each: no 10 MB string
                                     // growing by doubling; joined once by Compress)
  size_t packed_bytes_ = 0;
  std::string pending_;         // NDJSON of the piece being filled
  uint64_t pending_count_ = 0;
  Status error_;                // a compression failure, reported by Compress
};

}  // namespace ctdl
