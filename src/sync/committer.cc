#include "sync/committer.h"

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/log.h"
#include "ct/rfc6962_requests.h"

namespace ctdl {

Status Committer::Run(ClosableQueue<Batch>& in, ClosableQueue<SealedSegment>& out) {
  Status s = Loop(in, out);
  if (s.ok() && !refused_) Seal(out);  // the contiguous rest: a last, shorter segment when stopped early
  in.Cancel();
  out.Close();
  ready_.clear();
  return s;
}

Status Committer::Loop(ClosableQueue<Batch>& in, ClosableQueue<SealedSegment>& out) {
  next_ = s_.position;
  StartSegment(s_.position);
  while (next_ < s_.target && !refused_) {
    auto it = ready_.find(next_);
    if (it == ready_.end()) {
      std::optional<Batch> b = in.Pop();
      if (!b) break;  // stopped or failed upstream
      uint64_t first = b->first;
      ready_.emplace(first, std::move(*b));
      continue;
    }
    Batch b = std::move(it->second);
    ready_.erase(it);
    next_ += b.count;
    n_->position = next_.load();
    if (on_position_) on_position_(next_);
    TRY(Consume(b, out));
  }
  return Status::Ok();
}

// At a signed size, the Merkle root of [0, size) must equal the signed root (see doc/download.md).
Status Committer::CheckRoot() {
  auto it = s_.signed_roots.find(s_.range.size());
  if (it == s_.signed_roots.end() || !s_.verify) return Status::Ok();
  Hash256 got = s_.range.Root();
  if (got != it->second)
    return VerifyFailed(fmt::format(
        "{}: Merkle root of entries [0, {}) is {} but the signed tree head says {}; nothing past "
        "position {} is committed",
        s_.url, s_.range.size(), Base64Encode(AsView(got)), Base64Encode(AsView(it->second)),
        n_->committed.load()));
  s_.verified_size = std::max(s_.verified_size, s_.range.size());
  return Status::Ok();
}

void Committer::StartSegment(uint64_t first) {
  segment_.emplace(first);
  segment_end_ = AlignedRequestEnd(first, s_.target, s_.segment_entries);
}

bool Committer::Seal(ClosableQueue<SealedSegment>& out) {
  if (!segment_ || segment_->empty()) return true;
  SealedSegment job{std::move(*segment_), s_.verified_size,
                    s_.range_valid ? s_.range.Serialize() : ""};
  segment_.reset();
  if (!out.Push(std::move(job))) refused_ = true;
  return !refused_;
}

Status Committer::Consume(const Batch& b, ClosableQueue<SealedSegment>& out) {
  const SteadyTime now = SealingByAge() ? clock_->Now() : SteadyTime{};
  if (segment_->empty()) segment_born_ = now;
  size_t missing_i = 0;
  uint32_t begin = 0;
  for (uint64_t i = 0; i < b.count; ++i) {
    uint32_t end = b.line_ends[i];
    segment_->Add(std::string_view(b.records).substr(begin, end - begin));
    begin = end;
    if (s_.range_valid) {
      if (missing_i < b.missing.size() && b.missing[missing_i] == i) {
        ++missing_i;
        s_.range_valid = false;
        LOG_WARN("{}: entry {} has no leaf hash (undecodable leaf_input); Merkle checks stop here",
                 s_.url, b.first + i);
      } else {
        s_.range.Append(b.hashes[i]);
        TRY(CheckRoot());
      }
    }
    uint64_t next = b.first + i + 1;
    if (next == segment_end_) {
      if (!Seal(out)) return Status::Ok();
      StartSegment(next);
      segment_born_ = now;
    }
  }
  n_->bad += b.bad;
  // By age: the batch's last entry ends the segment (the entries after it are not here yet).
  if (SealingByAge() && !segment_->empty() && now - segment_born_ >= age_) {
    if (!Seal(out)) return Status::Ok();
    StartSegment(b.first + b.count);
  }
  return Status::Ok();
}

}  // namespace ctdl
