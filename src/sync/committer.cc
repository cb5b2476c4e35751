#include "sync/committer.h"

#include <fmt/format.h>

#include <algorithm>

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
  segment_.emplace(first, s_.compression);
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

Status Committer::AddRecords(Batch& b, uint64_t index) {
  if (index < records_to_) return Status::Ok();  // in a packed piece already added
  if (index < unpacked_end_) {
    size_t nl = unpacked_.find('\n', unpacked_pos_);
    if (nl == std::string::npos) return Internal(fmt::format("{}: unpacked piece lacks the record of entry {}", s_.url, index));
    segment_->Add(std::string_view(unpacked_).substr(unpacked_pos_, nl + 1 - unpacked_pos_));
    unpacked_pos_ = nl + 1;
    records_to_ = index + 1;
    return Status::Ok();
  }
  if (piece_ < b.packed.size() && b.packed[piece_].first == index) {
    PackedPiece& p = b.packed[piece_++];
    uint64_t end = index + p.count;
    if (segment_->AtPieceStart() && segment_->compression() == s_.compression &&
        end <= segment_end_ && (end % kPieceEntries == 0 || end == segment_end_)) {
      segment_->AddPacked(p.count, std::move(p.bytes));  // the decoder's block, not a copy
      records_to_ = end;
      return Status::Ok();
    }
    // Cut elsewhere than this segment's pieces (not expected): its records one by one.
    TRY_ASSIGN(unpacked_, DecompressSegment(p.bytes, s_.compression));
    if (static_cast<uint64_t>(std::count(unpacked_.begin(), unpacked_.end(), '\n')) != p.count)
      return Internal(fmt::format("{}: a packed piece of {} entries from {} holds another number of records",
                                  s_.url, p.count, index));
    unpacked_pos_ = 0;
    unpacked_end_ = end;
    return AddRecords(b, index);
  }
  if (line_ >= b.line_ends.size())
    return Internal(fmt::format("{}: batch from {} lacks the record of entry {}", s_.url, b.first, index));
  uint32_t end = b.line_ends[line_++];
  segment_->Add(std::string_view(b.records).substr(line_begin_, end - line_begin_));
  line_begin_ = end;
  records_to_ = index + 1;
  return Status::Ok();
}

Status Committer::Consume(Batch& b, ClosableQueue<SealedSegment>& out) {
  const SteadyTime now = SealingByAge() ? clock_->Now() : SteadyTime{};
  if (segment_->empty()) segment_born_ = now;
  size_t missing_i = 0;
  records_to_ = b.first;
  line_ = piece_ = 0;
  line_begin_ = 0;
  unpacked_.clear();
  unpacked_pos_ = 0;
  unpacked_end_ = 0;
  for (uint64_t i = 0; i < b.count; ++i) {
    TRY(AddRecords(b, b.first + i));
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
