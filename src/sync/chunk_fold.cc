#include "sync/chunk_fold.h"

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/log.h"
#include "ct/merkle.h"

namespace ctdl {
namespace {

// The compact range of [0, end) when chunk c follows `range` (which ends inside or at c's start),
// or nullopt when c has nothing to add yet.
Result<std::optional<CompactRange>> Step(const CompactRange& range, const Chunk& c, const ChunkPlan& plan) {
  const bool done = c.state == ChunkState::kDone;
  const bool tail = c.end() > plan.tree_size();
  if (!done && !(tail && c.position > range.size())) return std::optional<CompactRange>();
  TRY_ASSIGN(CompactRange next, range.Prefix(c.first()));
  if (done) {
    TRY_ASSIGN(std::string raw, Base64Decode(c.subtree_hash));
    if (raw.size() != 32)
      return Corrupt(fmt::format("chunk {} of {}: subtree hash is not 32 bytes", c.index, c.url));
    Hash256 h;
    std::copy(raw.begin(), raw.end(), h.begin());
    TRY(next.AppendSubtree(h, c.size));
  } else {
    TRY_ASSIGN(CompactRange local, CompactRange::Parse(c.compact_range));
    if (local.size() != c.position - c.first())
      return Corrupt(fmt::format("chunk {} of {}: compact range of {} entries at position {}", c.index,
                                 c.url, local.size(), c.position));
    TRY(next.AppendRange(local));
  }
  return std::optional<CompactRange>(std::move(next));
}

}  // namespace

Result<FoldResult> FoldChunks(StateStore* store, HttpClient* http, const LogState& log,
                              const ChunkPlan& plan, const TreeHead* head, const ProofFetch& fetch) {
  FoldResult out;
  out.position = log.position;
  out.verified_size = log.verified_size;
  CompactRange range;
  if (!log.compact_range.empty()) {
    TRY_ASSIGN(range, CompactRange::Parse(log.compact_range));
  }
  if (range.size() != log.position)
    return Corrupt(fmt::format("{}: no usable compact range at position {}; chunks cannot be folded",
                               log.url, log.position));
  for (const Chunk& c : plan.chunks()) {
    if (c.end() <= range.size()) continue;
    if (c.first() > range.size()) break;
    TRY_ASSIGN(std::optional<CompactRange> next, Step(range, c, plan));
    if (!next || next->size() <= range.size()) break;
    uint64_t verified = out.verified_size;
    if (head) {
      if (next->size() > head->size) break;  // fetched against a newer head: wait for it
      Status v = ProvePrefix(*http, log, *next, *head, fetch);
      if (v.code() == Code::kVerifyFailed) {
        Chunk reset = c;
        reset.state = ChunkState::kFree;
        reset.position = c.first();
        reset.compact_range.clear();
        reset.subtree_hash.clear();
        reset.expires_at = 0;
        reset.rejected = c.rejected + 1;
        reset.note = fmt::format("chunk {} [{}, {}) does not match the signed tree head: {}", c.index,
                                 c.first(), next->size(), v.message());
        Status w = store->PutChunk(reset, c.counter);
        if (w.code() == Code::kConflict) {
          out.raced = true;
          return out;
        }
        TRY(w);
        LOG_ERROR("{}: {} ({}; position stays at {})", log.url, reset.note,
                  reset.rejected < kMaxChunkRejections ? "it will be downloaded again"
                                                        : "rejected again: not retried",
                  range.size());
        out.rejected = reset;
        out.rejection = VerifyFailed(fmt::format("{}: {}", log.url, reset.note));
        return out;
      }
      TRY(v);
      verified = next->size();
    }
    Progress p;
    p.position = next->size();
    p.verified_size = verified;
    p.compact_range = next->Serialize();
    p.unverified_prefix = log.unverified_prefix;
    Status s = store->Advance(log.url, range.size(), p);
    if (s.code() == Code::kConflict) {
      out.raced = true;
      return out;
    }
    TRY(s);
    LOG_DEBUG("{}: folded chunk {}: position {} (verified {})", log.url, c.index, p.position, verified);
    out.position = p.position;
    out.verified_size = verified;
    range = std::move(*next);
  }
  return out;
}

}  // namespace ctdl
