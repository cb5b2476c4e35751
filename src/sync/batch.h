// Batch: the records of one decoded reply, handed from the decode pool to the committer
// (doc/download.md). Records are NDJSON lines in index order; the leaf hashes feed the compact range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ct/log_entry.h"
#include "ct/merkle.h"

namespace ctdl {

struct Batch {
  uint64_t first = 0;
  uint64_t count = 0;
  std::string records;              // NDJSON, one line per entry
  std::vector<uint32_t> line_ends;  // offset after each entry's '\n'
  std::vector<Hash256> hashes;      // leaf hash per entry (zero when missing)
  std::vector<uint32_t> missing;    // offsets of entries without a leaf hash
  uint64_t bad = 0;                 // entries written as error records
};

// What every record of a log carries besides its entry (x509/record.h).
struct RecordContext {
  uint32_t fields = 0;  // x509 FieldSet
  std::string log_id;   // base64, for the log_id field
  std::string log_url;  // for the log field
};

// The batch of `entries` (numbered from `first`).
Batch MakeBatch(uint64_t first, const std::vector<LogEntry>& entries, const RecordContext& context);

}  // namespace ctdl
