#include "sync/chunk_lease.h"

#include <fmt/format.h>

#include "base/log.h"

namespace ctdl {
namespace {

int64_t UnixSeconds(Clock* clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock->WallNow().time_since_epoch()).count();
}

int64_t ExpiresAt(Clock* clock, Duration lease) {
  return UnixSeconds(clock) + std::chrono::duration_cast<std::chrono::seconds>(lease).count();
}

}  // namespace

ChunkLease::ChunkLease(StateStore* store, Chunk chunk, Duration lease, Clock* clock, SteadyTime written)
    : store_(store), lease_(lease), clock_(clock), chunk_(std::move(chunk)), last_write_(written) {}

Result<std::unique_ptr<ChunkLease>> ChunkLease::Take(StateStore* store, const Chunk& seen,
                                                     const std::string& owner, Duration lease,
                                                     Clock* clock) {
  Chunk next = seen;
  next.state = ChunkState::kLeased;
  next.owner = owner;
  SteadyTime started = clock->Now();
  next.expires_at = ExpiresAt(clock, lease);
  TRY(store->PutChunk(next, seen.counter));
  next.counter = seen.counter + 1;
  return std::unique_ptr<ChunkLease>(new ChunkLease(store, std::move(next), lease, clock, started));
}

Status ChunkLease::Write(Chunk next) {
  if (lost_) return Conflict(fmt::format("the lease of chunk {} of {} was lost", next.index, next.url));
  SteadyTime started = clock_->Now();
  Status s = store_->PutChunk(next, chunk_.counter);
  if (s.code() == Code::kConflict || s.code() == Code::kNotFound) {
    lost_ = true;
    LOG_WARN("{}: lease of chunk {} [{}, {}) lost (another worker wrote it); not writing it any more",
             next.url, next.index, next.first(), next.end());
    return Conflict(s.message());
  }
  TRY(s);
  next.counter = chunk_.counter + 1;
  chunk_ = std::move(next);
  last_write_ = started;
  return Status::Ok();
}

Status ChunkLease::Renew() {
  std::lock_guard<std::mutex> l(mu_);
  Chunk next = chunk_;
  next.expires_at = ExpiresAt(clock_, lease_);
  return Write(std::move(next));
}

Status ChunkLease::Commit(uint64_t position, const std::string& compact_range) {
  std::lock_guard<std::mutex> l(mu_);
  Chunk next = chunk_;
  next.position = position;
  next.compact_range = compact_range;
  next.expires_at = ExpiresAt(clock_, lease_);
  return Write(std::move(next));
}

Status ChunkLease::MarkDone(uint64_t position, const std::string& compact_range,
                            const std::string& subtree_hash) {
  std::lock_guard<std::mutex> l(mu_);
  Chunk next = chunk_;
  next.state = ChunkState::kDone;
  next.position = position;
  next.compact_range = compact_range;
  next.subtree_hash = subtree_hash;
  next.expires_at = 0;
  return Write(std::move(next));
}

Status ChunkLease::Release() {
  std::lock_guard<std::mutex> l(mu_);
  Chunk next = chunk_;
  next.state = ChunkState::kFree;
  next.expires_at = 0;
  return Write(std::move(next));
}

bool ChunkLease::Valid() const {
  if (lost_) return false;
  std::lock_guard<std::mutex> l(mu_);
  return clock_->Now() - last_write_ < lease_ * 2 / 3;
}

Chunk ChunkLease::chunk() const {
  std::lock_guard<std::mutex> l(mu_);
  return chunk_;
}

}  // namespace ctdl
