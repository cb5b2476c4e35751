// FoldChunks: moves a distributed log's position over its done chunks (doc/distributed.md).
//
// The log's `position` is the end of the contiguous done prefix and its `compact_range` covers
// [0, position). Each done chunk in order adds its subtree hash (CompactRange::AppendSubtree); the
// tail chunk (the one holding the tree size) adds its local compact range once it reached the tree
// size. With verification on, every step is proven against the signed head before it is stored
// (ProvePrefix: equal roots at the head's size, a consistency proof below it), so verified_size ==
// position, and a step that does not prove names its chunk: that chunk goes back to free with
// `rejected` + 1 and a note (re-downloaded once; after kMaxChunkRejections it stays, and the fold
// stops below it). Each step is StateStore::Advance (compare-and-set on the position): any number of
// workers may fold at once; whoever loses re-reads.
// Thread safety: a function; the store and http client are thread-safe.
#pragma once

#include <optional>

#include "base/status.h"
#include "net/http_client.h"
#include "store/state_store.h"
#include "sync/chunk_plan.h"
#include "sync/verify_step.h"

namespace ctdl {

struct FoldResult {
  uint64_t position = 0;        // the log's position afterwards
  uint64_t verified_size = 0;
  std::optional<Chunk> rejected;  // the chunk this fold found wrong (written back as free)
  Status rejection;             // kVerifyFailed naming that chunk
  bool raced = false;           // another worker advanced the log meanwhile: re-read and fold again
};

// log: as stored; plan: made from it; head: the verified signed head, or nullptr to fold without
// proofs (--no-verify, or no key: verified_size then stays). Errors: backend and network trouble;
// a rejected chunk is a result, not an error.
Result<FoldResult> FoldChunks(StateStore* store, HttpClient* http, const LogState& log,
                              const ChunkPlan& plan, const TreeHead* head, const ProofFetch& fetch);

}  // namespace ctdl
