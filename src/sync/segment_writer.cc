#include "sync/segment_writer.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "sync/archive_guard.h"

namespace ctdl {

Status SegmentWriter::Run(ClosableQueue<SealedSegment>& in) {
  while (std::optional<SealedSegment> job = in.PopHeld()) {
    Status s = Write(*job);
    job.reset();  // free it before the committer may hand over the next
    if (!s.ok()) in.Cancel();  // before the slot is freed: the committer's next push is refused
    in.Release();
    if (!s.ok()) {
      control_->Fail(s);
      return s;
    }
  }
  return Status::Ok();
}

Status SegmentWriter::Write(const SealedSegment& job) {
  // Proven before anything is written (doc/verification.md section 3): a failure writes nothing.
  TRY_ASSIGN(uint64_t verified, verifier_->Prove(job.segment.last() + 1, job.compact_range,
                                                 job.verified_size, n_->committed));
  TRY_ASSIGN(std::string key, job.segment.Key(t_.slug, t_.compression));
  TRY(job.segment.CompressTo(t_.compression, 0, &data_));
  const std::string& data = data_;
  if (t_.lease && !t_.lease->Valid())
    return Conflict(fmt::format("{}: the lease of chunk {} expired; not writing {}", t_.url,
                                t_.lease->chunk().index, key));
  if (t_.owner) TRY(t_.owner->RecordPending(key, data));  // write-ahead: startup may delete only this
  Status put = ctx_.archive->Put(key, data);
  if (!put.ok()) return put.Annotate(t_.url + ": writing " + key);
  uint64_t pos = job.segment.last() + 1;
  if (t_.claim) {  // another state store may have taken the folder over while this run wrote
    if (Status held = t_.claim->Check(); !held.ok())
      return Conflict(fmt::format("{}: not committing {}: {}", t_.url, key, held.message()));
  }
  if (t_.lease) return CommitChunk(pos, job, key, data.size());
  TRY(CheckNoOtherWriter(*ctx_.archive, t_.url, key));  // a writer this lease cannot see
  Progress p;
  p.position = pos;
  p.verified_size = std::max(verified, job.verified_size);
  p.compact_range = job.compact_range;
  p.unverified_prefix = verifier_->unverified_prefix();
  if (t_.owner) t_.owner->Fence(&p);  // Advance is conditional on the lease
  uint64_t committed = n_->committed;
  Status s = ctx_.store->Advance(t_.url, committed, p);
  if (s.code() == Code::kConflict)
    return Conflict(fmt::format("{}: not committing {} ({}); stopping", t_.url, key, s.message()));
  if (!s.ok()) return s.Annotate(t_.url + ": committing position " + std::to_string(pos));
  n_->committed = pos;
  n_->verified = p.verified_size;
  if (ctx_.clock)
    n_->last_commit_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               ctx_.clock->WallNow().time_since_epoch()).count();
  n_->bytes_out += data.size();
  ++n_->segments;
  return Status::Ok();
}

// A leased chunk's segment: committed to the chunk item (the fold proves the chunk as a whole subtree
// against a signed head, doc/distributed.md), conditional on the lease counter.
Status SegmentWriter::CommitChunk(uint64_t pos, const SealedSegment& job, const std::string& key,
                                  size_t bytes) {
  TRY(t_.lease->Commit(pos, job.compact_range));
  Chunk c = t_.lease->chunk();
  LOG_DEBUG("{}: wrote {} (chunk {}, lease counter {})", t_.url, key, c.index, c.counter);
  n_->committed = pos;
  n_->bytes_out += bytes;
  ++n_->segments;
  return Status::Ok();
}

}  // namespace ctdl
