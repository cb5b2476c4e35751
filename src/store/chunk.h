// Chunk: one piece of a log downloaded by `ctdl download --distributed` (doc/distributed.md). The log
// is cut into chunks of a power-of-two size (--chunk-entries), so each chunk is a whole Merkle subtree
// and whole tiles; one state item per (log url, chunk index) holds its lease and its progress.
//
//   state free   -> leased (a worker took it: owner, expires_at)  -> done (subtree_hash set)
//         leased -> free   (released, or the fold rejected it: re-download)
//   a leased chunk whose expires_at has passed counts as free (its holder died or stalled).
//
// Fencing: `counter` grows by one on every write of the item, and every write is a compare-and-set
// on it (StateStore::PutChunk). A holder remembers the counter of its last write; once anyone else
// wrote the item (took the expired lease, or rejected the chunk) each of its writes fails with
// kConflict, and it stops writing that chunk at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ctdl {

enum class ChunkState { kFree, kLeased, kDone };
std::string_view ChunkStateName(ChunkState s);           // "free" | "leased" | "done"
bool ParseChunkState(std::string_view name, ChunkState* out);  // false for anything else

struct Chunk {
  std::string url;          // the log (LogState::url)
  uint64_t index = 0;       // entries [index * size, (index + 1) * size) of the log
  uint64_t size = 0;        // --chunk-entries, a power of two >= 256
  ChunkState state = ChunkState::kFree;
  std::string owner;        // the lease holder ("host:pid:random"), or the last one
  uint64_t counter = 0;     // lease counter: +1 per write (fencing token)
  int64_t expires_at = 0;   // unix seconds; a leased chunk past it is free again
  uint64_t position = 0;    // next index to download: [first(), position) is durable in the archive
  // Compact range of [first(), position) built as if it began at index 0 (CompactRange text form);
  // its root is the chunk's subtree hash once position == end().
  std::string compact_range;
  std::string subtree_hash;  // done: base64 SHA-256 root of the subtree [first(), first() + size)
  uint32_t rejected = 0;     // how often the fold found this chunk's subtree wrong
  std::string note;          // why it was last rejected (names the chunk, both roots)
  int64_t updated_at = 0;    // unix seconds of the last write

  uint64_t first() const { return index * size; }
  uint64_t end() const { return first() + size; }  // not clipped to the tree size
  // Free, or leased with an expired lease, at unix time `now`.
  bool Takeable(int64_t now) const {
    return state == ChunkState::kFree || (state == ChunkState::kLeased && expires_at <= now);
  }
};

}  // namespace ctdl
