// Reading a log's archive back (doc/segments.md "Checking an archive"), for `ctdl verify-archive`
// and `ctdl adopt-archive`: which segments the log's prefix holds, whether they tile [from, end)
// exactly once (no gap, no overlap), and, when read, whether each holds exactly last-first+1
// records whose "index" fields count up from `first` (and, when records carry leaf hashes, the
// Merkle state of what they cover).
// Segment bytes are untrusted (decompression is bounded; a bad segment is a problem, not a crash).
// Thread safety: pure apart from the archive calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ct/merkle.h"
#include "sink/archive.h"

namespace ctdl {

struct AuditedSegment {
  std::string key;
  uint64_t first = 0;
  uint64_t last = 0;     // inclusive
  uint64_t records = 0;  // lines read (when read)
  std::string problem;   // "" when fine
};

struct ArchiveAudit {
  std::vector<AuditedSegment> segments;  // sorted by first index
  uint64_t end = 0;                      // [from, end) is covered exactly once, without a gap
  std::vector<std::string> problems;     // gaps, overlaps, bad segments (one sentence each)
  uint64_t records = 0;                  // records read in [from, end)
  // from == 0, read, [0, merkle_end) covered exactly once and each of its records carries a
  // "leaf_hash" (--fields leaf_hash): the Merkle compact range of [0, merkle_end) recomputed from
  // them; unset otherwise.
  std::optional<CompactRange> merkle;
};

// Segments of `slug` whose last index is >= from. read_segments: decompress and check each one.
Result<ArchiveAudit> AuditArchive(Archive& archive, const std::string& slug, uint64_t from,
                                  bool read_segments, uint64_t merkle_end = 0);

}  // namespace ctdl
