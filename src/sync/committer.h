// Committer: puts a log's decoded batches back in index order and cuts them into segments
// (doc/download.md). Per entry: the leaf hash extends the Merkle compact range and, at a size with a
// signed root, the root must match (the one place downloaded data meets a signed head); every
// `segment_entries`-aligned boundary seals a segment for the writer. An entry without a leaf hash ends
// the Merkle checks for the run (warned once).
// Sealing by age (SealByAge, --follow's --rotate-seconds): a segment whose first entry was consumed
// `age` or longer ago is sealed after the batch that finds it so, wherever it ends; the next one
// starts right after it and ends at the next aligned boundary. A slow catch-up (a rate-limited log)
// thus reaches the archive every `age` (plus the time between two batches) instead of once per full
// segment; names stay <first>-<last> and contiguous, and each segment is committed exactly once as
// before (the writer does not care where a segment ends).
// Memory: the scheduler only fetches ranges that start within its window of position(), so the reorder
// buffer holds at most a window of entries, plus the segment being assembled.
// Thread safety: Run on one thread (the committer's); position() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/closable_queue.h"
#include "base/status.h"
#include "ct/merkle.h"
#include "sync/batch.h"
#include "sync/run_control.h"
#include "sync/segment_writer.h"

namespace ctdl {

class Committer {
 public:
  struct Start {
    std::string url;                            // for messages
    uint64_t position = 0;                      // the committed position: first index needed
    uint64_t target = 0;                        // where the run stops
    uint64_t segment_entries = 100000;
    bool verify = true;                         // check roots at signed sizes
    CompactRange range;                         // of [0, position), when range_valid
    bool range_valid = false;
    uint64_t verified_size = 0;
    std::map<uint64_t, Hash256> signed_roots;   // tree size -> root from a signed head
    Compression compression = Compression::kGzip;  // of the segments (and of batches' packed pieces)
  };
  // on_position: called (committer thread) each time position() moves, e.g. to open the window.
  Committer(Start start, DownloadCounters* counters, std::function<void(uint64_t)> on_position)
      : s_(std::move(start)), n_(counters), on_position_(std::move(on_position)) {}

  // Consumes `in` until the target is reached or `in` is closed (the contiguous rest becomes a last,
  // shorter segment), sealing segments into `out`. Returns a root mismatch (kVerifyFailed: nothing past
  // the last good segment is sealed); a writer that refused a segment is not an error here (the writer
  // reports its own). On return `in` is cancelled and `out` closed.
  Status Run(ClosableQueue<Batch>& in, ClosableQueue<SealedSegment>& out);
  // Also seal a segment once it is `age` old (age <= 0 or no clock: by size only). Before Run.
  void SealByAge(Clock* clock, Duration age) {
    clock_ = clock;
    age_ = age;
  }
  uint64_t position() const { return next_.load(); }

 private:
  Status Loop(ClosableQueue<Batch>& in, ClosableQueue<SealedSegment>& out);
  // false out: refused; takes b's packed pieces (moved into the segment)
  Status Consume(Batch& b, ClosableQueue<SealedSegment>& out);
  // Adds the record(s) of entry `index` of `b` to the segment: a packed piece starting there whole
  // when it fits the segment's pieces, else one line (a piece that does not fit is unpacked first).
  Status AddRecords(Batch& b, uint64_t index);
  Status CheckRoot();
  bool Seal(ClosableQueue<SealedSegment>& out);  // false: the writer refused it
  bool SealingByAge() const { return clock_ != nullptr && age_ > Duration::zero(); }
  void StartSegment(uint64_t first);  // the next segment [first, next aligned boundary)

  Start s_;
  DownloadCounters* n_;
  std::function<void(uint64_t)> on_position_;
  std::atomic<uint64_t> next_{0};
  std::map<uint64_t, Batch> ready_;  // first -> batch not yet consumed
  std::optional<SegmentBuilder> segment_;
  uint64_t segment_end_ = 0;
  Clock* clock_ = nullptr;
  Duration age_{0};
  SteadyTime segment_born_{};  // when the segment's first entry was consumed (SealingByAge)
  bool refused_ = false;
  // Record cursor of the batch being consumed.
  uint64_t records_to_ = 0;       // records added up to this index
  size_t line_ = 0, piece_ = 0;   // next plain line / packed piece of the batch
  uint32_t line_begin_ = 0;
  std::string unpacked_;          // a piece that did not fit, decompressed, read line by line
  size_t unpacked_pos_ = 0;
  uint64_t unpacked_end_ = 0;
};

}  // namespace ctdl
