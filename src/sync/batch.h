// Batch: the records of one decoded reply, handed from the decode pool to the committer
// (doc/download.md). Records are NDJSON lines in index order; the leaf hashes feed the compact range.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ct/log_entry.h"
#include "ct/merkle.h"
#include "sink/segment.h"

namespace ctdl {

// Records [first, first + count) compressed as one segment piece (sink/segment.h) by a decoder.
struct PackedPiece {
  uint64_t first = 0;
  uint64_t count = 0;
  std::string bytes;  // one gzip member / zstd frame
};

struct Batch {
  uint64_t first = 0;
  uint64_t count = 0;
  // The records of the entries not in `packed`, in index order: NDJSON, one line per entry.
  std::string records;
  std::vector<uint32_t> line_ends;  // offset after each of those lines' '\n'
  std::vector<PackedPiece> packed;  // complete pieces, in index order (empty: every record is plain)
  std::vector<Hash256> hashes;      // leaf hash per entry (zero when missing)
  std::vector<uint32_t> missing;    // offsets of entries without a leaf hash
  uint64_t bad = 0;                 // entries written as error records
};

// Where a run's segments and their pieces end, so a decoder can compress the pieces that lie wholly
// in its batch (in parallel; the committer and writer then only concatenate). Segments end at
// multiples of segment_entries and at target; pieces also at multiples of kPieceEntries; a segment
// starts at `start`, the position the run starts from (sync/committer.h).
struct PiecePlan {
  Compression compression = Compression::kGzip;
  uint64_t segment_entries = 100000;
  uint64_t start = 0;
  uint64_t target = 0;
  // A piece starts or ends at `index`.
  bool IsCut(uint64_t index) const {
    return index % kPieceEntries == 0 || (segment_entries && index % segment_entries == 0) ||
           index == start || index == target;
  }
};

// What every record of a log carries besides its entry (x509/record.h).
struct RecordContext {
  uint32_t fields = 0;  // x509 FieldSet
  std::string log_id;   // base64, for the log_id field
  std::string log_url;  // for the log field
  const PiecePlan* pieces = nullptr;  // compress complete pieces in MakeBatch; nullptr: all plain
};

// The batch of `entries` (numbered from `first`).
Batch MakeBatch(uint64_t first, std::span<const LogEntry> entries, const RecordContext& context);

}  // namespace ctdl
