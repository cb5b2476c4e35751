// What a download does with its log's archive prefix after taking the log's lease and before it
// writes a segment (doc/segments.md "Startup"). The rule: delete only what the state proves ours.
//   1. the manifest (sink/manifest.h) naming another log -> kConflict; the writer claim in force
//      (sync/archive_claim.h) naming another state store -> kConflict (exit 8): nothing removed or
//      written, not even a temp file;
//   2. temp files of Puts by processes that no longer run are removed (Archive::RemoveStaleTempFiles);
//      a missing manifest is written;
//   3. no claim at all (a new folder, or one written before claims existed): if no segment beyond the
//      committed position but the state's own recorded pending write is there, this state store
//      claims the folder (generation 1); otherwise step 5 refuses and nothing is claimed;
//   4. the state's pending write (LogState::pending_write): if that object exists beyond the committed
//      position, its bytes still hash to the recorded digest, no other segment lies beyond the
//      position and the claim is still ours right before the delete, it is our unfinished write and
//      is deleted; the record is cleared. With other segments there (another state store wrote on,
//      and may have written or adopted this very object) it is kept with its record and reported by
//      step 5;
//   5. any other segment beyond the committed position is reported and kept, and the download stops
//      (kConflict naming the objects and `ctdl adopt-archive`): writing on would duplicate entries;
//      a segment straddling the committed position is kCorrupt (never deleted either).
// Not thread-safe (one call per log, before the writer starts).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "sink/archive.h"
#include "store/state_store.h"
#include "sync/archive_claim.h"
#include "sync/log_owner.h"

namespace ctdl {

struct PrefixFacts {
  std::string slug;              // the log's folder in the archive (sink/segment.h LogSlug)
  uint64_t segment_entries = 0;  // recorded in a new manifest
};

// `claim` holds the folder when this returns ok (ArchiveClaim::Check stays valid until another state
// store takes the folder over).
Status PrepareArchivePrefix(Archive& archive, LogOwner& owner, ArchiveClaim& claim, const LogState& state,
                            const PrefixFacts& facts);

// After a plain download's Put of the segment `key` and before its Advance: another segment of the
// log whose entries overlap key's means a second writer on this archive — a ctdl with another state
// store, whose lease this one cannot see — and kConflict naming both (the caller commits nothing; the
// object stays as the recorded pending write). One List of the keys sharing the leading digits of
// key's first and last index: it sees every segment that starts inside key's range, so of two
// overlapping writers the one with the lower first index always sees the other's finished Put, and in
// practice (decimal blocks are wide) both do. Not a lock: two Puts racing inside one such window can
// still both commit; the writer claim is what keeps a second state store out. This check remains
// for writers that do not know claims (ctdl before them) (doc/segments.md "Two state stores").
Status CheckNoOtherWriter(Archive& archive, const std::string& url, const std::string& key);

// Step 5 alone (also used by a distributed worker that holds no chunk yet): every segment under
// `prefix` beyond the committed position but `allowed` is logged and kept, and the result is kConflict
// naming them and `ctdl adopt-archive`; one straddling the position is kCorrupt. Ok when there is none.
Status RefuseSegmentsBeyond(Archive& archive, const LogState& state, const std::string& prefix,
                            const std::string& allowed);

// Step 2 alone (also used by adopt-archive and verify-archive): ok when the manifest names this log
// or is missing (then written when `write_missing`). `found`, when given: whether a manifest was
// there before this call (a caller that checks first and writes later skips the second read).
Status CheckManifest(Archive& archive, const LogState& state, const PrefixFacts& facts, bool write_missing,
                     bool* found = nullptr);

}  // namespace ctdl
