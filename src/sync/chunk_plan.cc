#include "sync/chunk_plan.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "ct/merkle.h"

namespace ctdl {

Status CheckChunkEntries(uint64_t size) {
  if (size < 256 || (size & (size - 1)) != 0)
    return InvalidArgument(fmt::format(
        "--chunk-entries {} must be a power of two of at least 256 (chunks are whole Merkle subtrees "
        "and whole tiles)",
        size));
  return Status::Ok();
}

Result<ChunkPlan> ChunkPlan::Make(const LogState& log, uint64_t size, uint64_t tree_size,
                                  const std::vector<Chunk>& items) {
  TRY(CheckChunkEntries(size));
  ChunkPlan p;
  p.size_ = size;
  p.tree_size_ = tree_size;
  std::map<uint64_t, const Chunk*> by_index;
  for (const Chunk& c : items) {
    if (c.size != size)
      return Corrupt(fmt::format(
          "{} is downloaded in chunks of {} entries (chunk {} in the state), not {}: use "
          "--chunk-entries {}",
          log.url, c.size, c.index, size, c.size));
    by_index[c.index] = &c;
  }
  const uint64_t first = log.position / size;
  const uint64_t last = (std::max(tree_size, log.position) + size - 1) / size;  // exclusive
  for (uint64_t k = first; k < last; ++k) {
    if (auto it = by_index.find(k); it != by_index.end()) {
      p.chunks_.push_back(*it->second);
      continue;
    }
    Chunk c;
    c.url = log.url;
    c.index = k;
    c.size = size;
    c.position = c.first();
    if (log.position > c.first()) {  // the log's own progress reaches into this chunk
      c.position = log.position;
      if (!log.compact_range.empty()) {
        TRY_ASSIGN(CompactRange whole, CompactRange::Parse(log.compact_range));
        if (whole.size() != log.position)
          return Corrupt(fmt::format("{}: compact range of size {} at position {}", log.url,
                                     whole.size(), log.position));
        // [first, position): the hashes after the prefix [0, first), as a range of their own.
        size_t skip = std::popcount(c.first());
        std::vector<Hash256> tail(whole.hashes().begin() + skip, whole.hashes().end());
        TRY_ASSIGN(CompactRange local, CompactRange::FromHashes(log.position - c.first(), tail));
        c.compact_range = local.Serialize();
      }
    }
    p.chunks_.push_back(std::move(c));
  }
  return p;
}

bool ChunkPlan::HasWork(const Chunk& c, int64_t now) const {
  // position == end() and not done: fetched, but its holder stopped before marking it done.
  return c.state != ChunkState::kDone && c.Takeable(now) && c.rejected < kMaxChunkRejections &&
         (c.position < Target(c) || c.position == c.end());
}

int ChunkPlan::Leased(int64_t now) const {
  int n = 0;
  for (const Chunk& c : chunks_) n += c.state == ChunkState::kLeased && c.expires_at > now;
  return n;
}

const Chunk* ChunkPlan::Pick(int64_t now, int lost, const std::vector<uint64_t>& skip,
                             std::mt19937_64& rng) const {
  uint64_t window = std::max<uint64_t>(16, 2 * (Leased(now) + 1)) << std::min(lost, 10);
  std::vector<const Chunk*> candidates;
  for (const Chunk& c : chunks_) {
    if (!HasWork(c, now) || std::find(skip.begin(), skip.end(), c.index) != skip.end()) continue;
    candidates.push_back(&c);
    if (candidates.size() >= window) break;
  }
  if (candidates.empty()) return nullptr;
  return candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng)];
}

bool ChunkPlan::AllFetched() const {
  for (const Chunk& c : chunks_)
    if (c.state != ChunkState::kDone && c.position < Target(c)) return false;
  return true;
}

const Chunk* ChunkPlan::Blocked() const {
  for (const Chunk& c : chunks_)
    if (c.rejected >= kMaxChunkRejections && c.state != ChunkState::kDone) return &c;
  return nullptr;
}

std::string LeaseOwnerId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  std::random_device rd;
  return fmt::format("{}:{}:{:08x}", host, getpid(), rd());
}

}  // namespace ctdl
