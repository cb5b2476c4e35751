// ChunkPlan: a distributed download's view of one log at one moment (doc/distributed.md): the chunks
// from the one holding the log's position to the one holding its tree size, with the items the state
// store has and the untouched ones (no item yet: free, counter 0) filled in. Pure; not thread-safe.
//
// Chunk k covers [k * size, (k + 1) * size). Chunks below the log's position are folded (the log's
// own position and compact range cover them) and are not listed. The chunk holding the position, when
// it has no item yet, starts at the position with the tail of the log's compact range (a log
// downloaded without --distributed up to there continues as a distributed one).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/chunk.h"
#include "store/state_store.h"

namespace ctdl {

inline constexpr uint32_t kMaxChunkRejections = 2;  // then the chunk stays as it is, named

// kInvalidArgument unless size is a power of two >= 256.
Status CheckChunkEntries(uint64_t size);

class ChunkPlan {
 public:
  // log: as stored (position, compact_range); items: StateStore::ListChunks(log.url); tree_size: the
  // signed size to download to. kCorrupt when an item's size differs from `size` (the log is already
  // distributed with another --chunk-entries) or the log's compact range does not parse.
  static Result<ChunkPlan> Make(const LogState& log, uint64_t size, uint64_t tree_size,
                                const std::vector<Chunk>& items);

  uint64_t size() const { return size_; }
  uint64_t tree_size() const { return tree_size_; }
  const std::vector<Chunk>& chunks() const { return chunks_; }  // by index, from position's chunk
  // Where a chunk's download stops: min(end, tree size).
  uint64_t Target(const Chunk& c) const { return std::min(c.end(), tree_size_); }
  // Takeable at `now` (free or expired), with entries left to fetch (or whole but not marked done),
  // not rejected too often.
  bool HasWork(const Chunk& c, int64_t now) const;
  // A random chunk with work among the lowest max(16, 2 x (leased + 1)) of them, the window doubled
  // per race lost in a row (`lost`): low chunks first (the fold advances), few workers on the same
  // chunk when many start at once (bench/distributed_sim.py). `skip`: indexes lost in this round.
  const Chunk* Pick(int64_t now, int lost, const std::vector<uint64_t>& skip, std::mt19937_64& rng) const;
  // Leased by someone at `now` (lease not expired).
  int Leased(int64_t now) const;
  // Every entry up to the tree size is in a done chunk or fetched (position == Target).
  bool AllFetched() const;
  // The first chunk that was rejected kMaxChunkRejections times, if any.
  const Chunk* Blocked() const;

 private:
  uint64_t size_ = 0;
  uint64_t tree_size_ = 0;
  std::vector<Chunk> chunks_;
};

// Owner id of this process for leases: "<hostname>:<pid>:<8 random hex digits>".
std::string LeaseOwnerId();

}  // namespace ctdl
