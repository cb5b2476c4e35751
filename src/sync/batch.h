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

// Builds a Batch entry by entry: the decode pool adds each window of entries as the decoder fills it
// (EntrySlots::SetWindow), so an entry's bytes are still in cache when its record is made, and each
// complete piece is compressed as soon as its last record is in (its records still in cache too).
// The result is the same as one MakeBatch over all the entries. With a piece plan the records go
// through a per-thread scratch buffer: one BatchBuilder per thread at a time.
class BatchBuilder {
 public:
  BatchBuilder(uint64_t first, const RecordContext& context);
  void Reserve(size_t entries);                 // room for this many entries in all (a hint)
  void Add(std::span<const LogEntry> entries);  // the next entries, in index order
  Batch Finish();                               // the batch of every entry added
 private:
  void ClosePiece(uint64_t end);  // records [piece_, end) complete: compress them (a piece) or not

  const RecordContext& context_;
  Batch b_;
  std::string* records_;              // every record (this thread's scratch with a piece plan)
  std::vector<uint32_t>* line_ends_;  // offset after each record's '\n' in *records_
  uint64_t piece_ = 0;                // first record not yet closed
  bool in_piece_ = false;             // piece_ starts at a cut: [piece_, next cut) is a piece
  uint64_t first_cut_ = 0;            // records before it stay plain
  uint64_t last_cut_ = 0;             // end of the last packed piece (records after it stay plain)
  bool failed_ = false;               // a piece did not compress: every record is handed over plain
};

// The batch of `entries` (numbered from `first`).
Batch MakeBatch(uint64_t first, std::span<const LogEntry> entries, const RecordContext& context);

}  // namespace ctdl
