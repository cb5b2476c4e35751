// SegmentWriter: the last stage of a log's download (doc/download.md). For each sealed segment, in
// order: prove its position against the signed head (DownloadVerifier::Prove), compress, Archive::Put,
// then StateStore::Advance(url, committed, progress), a compare-and-set on the stored position.
// Exactly once: a segment is Put before the position that covers it is committed; the first error
// (proof, Put, Advance conflict) stops the writer, cancels its input queue (the committer's next push
// is refused) and goes to the RunControl; nothing after it is written.
// Memory: the committer's queue has one slot, held while a segment is written (PopHeld), so at most one
// segment is written while the next one is assembled.
// Thread safety: Run on one thread (the writer's); counters are atomics.
#pragma once

#include <cstdint>
#include <string>

#include "base/closable_queue.h"
#include "base/status.h"
#include "sink/segment.h"
#include "sync/archive_claim.h"
#include "sync/chunk_lease.h"
#include "sync/download.h"
#include "sync/log_owner.h"
#include "sync/run_control.h"
#include "sync/verify_step.h"

namespace ctdl {

struct SealedSegment {
  SegmentBuilder segment{0};
  uint64_t verified_size = 0;  // proven by the committer's root checks so far
  std::string compact_range;   // of [0, segment.last() + 1), or "" when unknown
};

class SegmentWriter {
 public:
  struct Target {
    std::string url;   // the log (state key, messages)
    std::string slug;  // archive prefix
    Compression compression = Compression::kGzip;
    // Distributed downloads: a leased chunk's segments are committed to its chunk item through the
    // lease (a compare-and-set on the lease counter), not with Advance, and only while the lease is
    // valid (sync/chunk_lease.h). nullptr: the log's own position.
    ChunkLease* lease = nullptr;
    // The log's own lease (sync/log_owner.h): each segment is recorded as the log's pending write
    // before the Put, and Advance is conditional on the lease. nullptr: no lease (tests, chunks).
    LogOwner* owner = nullptr;
    // The archive folder's writer claim (sync/archive_claim.h): checked after each Put, before the
    // segment is committed (Advance or the chunk commit); a folder taken over by another state store
    // commits nothing more. nullptr: not checked (tests).
    const ArchiveClaim* claim = nullptr;
  };
  // counters->committed must hold the stored position when Run starts.
  SegmentWriter(Target target, const DownloadContext& context, DownloadVerifier* verifier,
                RunControl* control, DownloadCounters* counters)
      : t_(std::move(target)), ctx_(context), verifier_(verifier), control_(control), n_(counters) {}

  // Writes the segments of `in` until it is closed and drained. Ok, or the first error.
  Status Run(ClosableQueue<SealedSegment>& in);

 private:
  Status Write(const SealedSegment& s);
  Status CommitChunk(uint64_t pos, const SealedSegment& s, const std::string& key, size_t bytes);

  const Target t_;
  const DownloadContext& ctx_;
  DownloadVerifier* verifier_;
  RunControl* control_;
  DownloadCounters* n_;
  std::string data_;  // the segment's bytes; one buffer for every segment (its pages stay)
};

}  // namespace ctdl
