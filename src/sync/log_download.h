// LogDownload: one log's pipeline (see doc/download.md), RFC 6962 or tiled: what differs is the
// LogSource (sync/log_source.h: tree head, request shapes, decoding), chosen by LogState::log_type.
//
//   fetch workers (up to max_inflight threads, AIMD-limited, paced by the host's TokenBucket):
//     claim the lowest pending range -> get-entries | data tile -> decode -> AppendRecord -> Batch
//   committer (the thread calling Run): batches in index order -> compact range (leaf hashes) ->
//     segment -> Archive::Put -> StateStore::Advance(url, committed, progress)  (compare-and-set)
//
// Exactly once: a segment is Put before the position that covers it is committed; at startup every
// object of the log whose first index is >= the committed position is deleted (crash leftovers).
// Memory is bounded: workers only claim ranges that start within `window` entries of the next index
// the committer needs, so fetched-but-uncommitted data is at most a window plus one segment.
// Thread safety: Run once; Snapshot may be called from any thread while Run runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "ct/merkle.h"
#include "ct/rfc6962_requests.h"
#include "ct/tree_head.h"
#include "net/retry.h"
#include "sink/segment.h"
#include "sync/download.h"
#include "sync/log_source.h"
#include "sync/progress.h"
#include "sync/rate_limiter.h"
#include "sync/verify_step.h"

namespace ctdl {

// Knobs tests turn; defaults suit real logs.
struct PipelineTuning {
  int initial_inflight = 2;             // AIMD start
  uint64_t window_entries = 16384;      // reorder window (at least 4 requests' worth is used)
  int max_attempts = 12;                // per range, for 5xx / transport / empty / 404
  int max_bad_json = 5;                 // per range, then the log stops with the URL
  int max_stale = 100;                  // per range, HTTP 400 (lagging backend), waits <= 4 s each
  int max_throttled = 1000;             // per range, 429s before giving up
  Backoff backoff;                      // base 250 ms, cap 60 s
  std::chrono::milliseconds poll{100};  // how often waits re-check the stop flag
  std::chrono::milliseconds request_timeout{30000};
};

class LogDownload {
 public:
  LogDownload(std::string url, const DownloadOptions& options, const DownloadContext& context,
              TokenBucket* host_bucket, PipelineTuning tuning = {});
  ~LogDownload();
  LogDownload(const LogDownload&) = delete;
  LogDownload& operator=(const LogDownload&) = delete;

  // Downloads from the saved position to min(tree size, --end). Ok when done or stopped by a signal.
  Status Run();
  LogProgress Snapshot() const;
  const std::string& url() const { return url_; }

 private:
  struct Range {
    uint64_t end = 0;
    int attempts = 0;
    int bad_json = 0;
    int throttled = 0;
    int stale = 0;
    bool full_tile = false;  // a partial tile answered 404: fetch the full tile (LogSource)
    SteadyTime not_before{};
  };
  struct Batch {
    uint64_t first = 0;
    uint64_t count = 0;
    std::string records;              // NDJSON, one line per entry
    std::vector<uint32_t> line_ends;  // offset after each entry's '\n'
    std::vector<Hash256> hashes;      // leaf hash per entry (zero when missing)
    std::vector<uint32_t> missing;    // offsets of entries without a leaf hash
    uint64_t bad = 0;
  };

  Status Prepare();                    // state, cleanup, tree head, plan
  Status CleanupArchive();
  Result<SignedTreeHead> FetchSth();  // the tree head (get-sth | checkpoint), via source_
  // A 200 reply waiting for a decoder thread.
  struct Reply {
    uint64_t start = 0, end = 0;
    Range range;
    std::string url;
    std::string body;
    bool probe = false;
  };
  void Worker();   // fetch threads (max_inflight): claim, wait, fetch, classify
  void Decoder();  // decoder threads (one per core): JSON -> entries -> records -> ready_
  // Handles one claimed request [start, end) (mu_ not held). True when a reply went to the decoders.
  bool FetchRange(uint64_t start, uint64_t end, Range range, bool probe);
  void DecodeReply(Reply& reply, EntryDecoder* decoder, std::mt19937_64& rng);
  void Requeue(uint64_t start, uint64_t end, Range range);
  void Fail(Status status);            // first error wins; stops the log (takes err_mu_ only)
  Status FirstError() const;
  void RefreshSth();                   // after a 400: re-read the tree head (at most every 10 s)
  uint64_t Window() const;             // under mu_
  int InflightLimit() const;           // under mu_: AIMD, and the learned pacing rate
  bool Stopping() const;               // signal or error
  bool SleepUntil(SteadyTime t);       // false when stopped meanwhile
  bool WaitForSlot();                  // the host bucket's next request slot; false when stopped
  Status Commit();                     // committer loop (Run's thread)
  Status Consume(Batch& batch);        // into the segment; seals full segments
  Status Seal();                       // hands the segment to the writer (waits if one is queued)
  struct SealJob {
    SegmentBuilder segment;
    uint64_t verified_size = 0;
    std::string compact_range;  // of [0, segment.last() + 1), or "" when unknown
  };
  void WriterLoop();
  Status Write(const SealJob& job);    // compress + Put + Advance (compare-and-set)
  Status CheckRoot();                  // Merkle check at a signed size (the one place for it)

  const std::string url_;
  const DownloadOptions& options_;
  const DownloadContext& ctx_;
  TokenBucket* bucket_;
  PipelineTuning tuning_;
  Compression compression_ = Compression::kGzip;
  std::string slug_;
  std::string log_id_;  // base64, for the log_id record field (from the state; else SHA-256 of the key)

  // Set by Prepare, then owned by the committer (committed_pub_ is the writer's).
  uint64_t committed_ = 0;            // position at start
  uint64_t target_ = 0;
  SignedTreeHead sth_;
  std::map<uint64_t, Hash256> signed_roots_;  // tree size -> root from a signed head
  CompactRange range_;
  bool range_valid_ = true;
  DownloadVerifier verifier_;  // signatures, consistency, per-segment proofs (sync/verify_step.h)
  uint64_t verified_size_ = 0;
  std::optional<SegmentBuilder> segment_;
  uint64_t segment_end_ = 0;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;    // workers wait for work / window
  std::condition_variable ready_cv_;   // committer waits for batches
  std::map<uint64_t, Range> pending_;  // start -> range not yet claimed
  std::map<uint64_t, Batch> ready_;    // first -> fetched, not yet consumed
  uint64_t next_ = 0;                  // first index the committer still needs
  int inflight_ = 0;
  int workers_alive_ = 0;
  int decoders_alive_ = 0;
  int decoding_ = 0;                   // replies queued or being decoded
  std::deque<Reply> decode_q_;
  std::condition_variable decode_cv_;
  bool probing_ = false;
  bool done_ = false;
  std::unique_ptr<LogSource> source_;  // set by Prepare; planning methods under mu_
  Aimd aimd_{2, 32};
  SteadyTime pause_until_{};
  SteadyTime last_sth_refresh_{};
  std::string sth_body_;
  // Writer queue (segments sealed by the committer, written in order by the writer thread).
  std::mutex wmu_;
  std::condition_variable wcv_;
  std::deque<SealJob> wq_;
  bool wclose_ = false;
  bool writing_ = false;
  Status werr_;
  mutable std::mutex err_mu_;
  Status error_;  // under err_mu_
  std::atomic<bool> failed_{false};

  // Progress counters.
  SteadyTime started_{};
  std::atomic<uint64_t> start_pos_{0}, position_{0}, committed_pub_{0}, target_pub_{0}, tree_pub_{0};
  std::atomic<uint64_t> bytes_in_{0}, bytes_out_{0}, retries_{0}, throttled_{0}, bad_{0}, segs_{0};
  std::atomic<bool> finished_{false};
  std::string status_;  // under mu_
};

}  // namespace ctdl
