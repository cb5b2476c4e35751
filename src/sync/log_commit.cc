// LogDownload, committing side: ordered batches -> compact range + root check -> segments ->
// writer thread (compress, Put, compare-and-set Advance). See log_download.h.
#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "sync/log_download.h"

namespace ctdl {

// ---- committing --------------------------------------------------------------------------------

// The one place where downloaded data meets a signed head: at a signed size, the Merkle root of
// [0, size) must equal the signed root. (Signatures and consistency proofs: see doc/download.md.)
Status LogDownload::CheckRoot() {
  auto it = signed_roots_.find(range_.size());
  if (it == signed_roots_.end() || !options_.verify) return Status::Ok();
  Hash256 got = range_.Root();
  if (got != it->second)
    return VerifyFailed(fmt::format(
        "{}: Merkle root of entries [0, {}) is {} but the signed tree head says {}; nothing past "
        "position {} is committed",
        url_, range_.size(), Base64Encode(AsView(got)), Base64Encode(AsView(it->second)),
        committed_pub_.load()));
  verified_size_ = std::max(verified_size_, range_.size());
  return Status::Ok();
}

Status LogDownload::Seal() {
  if (!segment_ || segment_->empty()) return Status::Ok();
  SealJob job{std::move(*segment_), verified_size_, range_valid_ ? range_.Serialize() : ""};
  segment_.reset();
  std::unique_lock<std::mutex> l(wmu_);
  // One segment is written while the next is assembled: memory stays bounded.
  wcv_.wait(l, [&] { return (wq_.empty() && !writing_) || !werr_.ok(); });
  if (!werr_.ok()) return werr_;
  wq_.push_back(std::move(job));
  wcv_.notify_all();
  return Status::Ok();
}

// The writer thread: compress, Put, then compare-and-set the position, one segment at a time, in
// order. The first error stops it (later segments are dropped, nothing past the error is committed).
void LogDownload::WriterLoop() {
  for (;;) {
    std::unique_lock<std::mutex> l(wmu_);
    wcv_.wait(l, [&] { return !wq_.empty() || wclose_; });
    if (wq_.empty()) return;
    SealJob job = std::move(wq_.front());
    wq_.pop_front();
    bool skip = !werr_.ok();
    writing_ = true;
    l.unlock();
    Status s = skip ? Status::Ok() : Write(job);
    job.segment = SegmentBuilder(0);  // free it before the committer may build the next
    l.lock();
    writing_ = false;
    if (!s.ok()) {
      werr_ = s;
      Fail(s);
    }
    wcv_.notify_all();
  }
}

Status LogDownload::Write(const SealJob& job) {
  // Proven before anything is written (doc/verification.md section 3): a failure writes nothing.
  TRY_ASSIGN(uint64_t verified, verifier_.Prove(job.segment.last() + 1, job.compact_range,
                                                job.verified_size, committed_pub_));
  TRY_ASSIGN(std::string key, job.segment.Key(slug_, compression_));
  TRY_ASSIGN(std::string data, job.segment.Compress(compression_));
  Status put = ctx_.archive->Put(key, data);
  if (!put.ok()) return put.Annotate(url_ + ": writing " + key);
  uint64_t pos = job.segment.last() + 1;
  Progress p;
  p.position = pos;
  p.verified_size = std::max(verified, job.verified_size);
  p.compact_range = job.compact_range;
  p.unverified_prefix = verifier_.unverified_prefix();
  uint64_t committed = committed_pub_;
  Status s = ctx_.store->Advance(url_, committed, p);
  if (s.code() == Code::kConflict)
    return Conflict(fmt::format(
        "{}: the state no longer says position {} (another ctdl is downloading this log?); "
        "stopping without committing {}",
        url_, committed, key));
  if (!s.ok()) return s.Annotate(url_ + ": committing position " + std::to_string(pos));
  committed_pub_ = pos;
  bytes_out_ += data.size();
  ++segs_;
  return Status::Ok();
}

Status LogDownload::Consume(Batch& b) {
  size_t missing_i = 0;
  uint32_t begin = 0;
  for (uint64_t i = 0; i < b.count; ++i) {
    uint32_t end = b.line_ends[i];
    segment_->Add(std::string_view(b.records).substr(begin, end - begin));
    begin = end;
    if (range_valid_) {
      if (missing_i < b.missing.size() && b.missing[missing_i] == i) {
        ++missing_i;
        range_valid_ = false;
        LOG_WARN("{}: entry {} has no leaf hash (undecodable leaf_input); Merkle checks stop here",
                 url_, b.first + i);
      } else {
        range_.Append(b.hashes[i]);
        TRY(CheckRoot());
      }
    }
    uint64_t next = b.first + i + 1;
    if (next == segment_end_) {
      TRY(Seal());
      segment_.emplace(next);
      segment_end_ = AlignedRequestEnd(next, target_, options_.segment_entries);
    }
  }
  bad_ += b.bad;
  return Status::Ok();
}

Status LogDownload::Commit() {
  segment_.emplace(committed_);
  segment_end_ = AlignedRequestEnd(committed_, target_, options_.segment_entries);
  for (;;) {
    Batch b;
    {
      std::unique_lock<std::mutex> l(mu_);
      for (;;) {
        if (next_ >= target_) break;
        if (auto it = ready_.find(next_); it != ready_.end()) {
          b = std::move(it->second);
          ready_.erase(it);
          next_ += b.count;
          position_ = next_;
          work_cv_.notify_all();
          break;
        }
        if (workers_alive_ == 0 && decoders_alive_ == 0) break;  // stopped or failed
        ready_cv_.wait_for(l, tuning_.poll);
      }
      if (b.count == 0) break;
    }
    TRY(Consume(b));
  }
  return Seal();  // the contiguous rest: a last, shorter segment when stopped early
}

}  // namespace ctdl
