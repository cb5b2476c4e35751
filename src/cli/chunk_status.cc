#include "cli/chunk_status.h"

#include <fmt/format.h>

#include "sync/chunk_plan.h"

namespace ctdl::cli {

std::string FormatChunkStatus(const LogState& log, const std::vector<Chunk>& items, int64_t now) {
  if (items.empty()) return "";
  auto plan = ChunkPlan::Make(log, items.front().size, log.tree_size, items);
  if (!plan.ok()) return fmt::format("chunks of {}: {}\n", log.url, plan.status().message());
  // Chunks below the position's chunk are folded: done. The plan lists the rest.
  uint64_t done = log.position / plan->size(), leased = 0, free = 0, rejected = 0;
  std::string details;
  for (const Chunk& c : plan->chunks()) {
    if (c.rejected > 0) ++rejected;
    if (c.state == ChunkState::kDone || c.position >= plan->Target(c)) {  // or fetched to the tree size
      ++done;
    } else if (c.state == ChunkState::kLeased && c.expires_at > now) {
      ++leased;
      details += fmt::format("  chunk {} [{}, {}) leased by {} for {} s more, at index {}\n", c.index,
                             c.first(), plan->Target(c), c.owner, c.expires_at - now, c.position);
    } else {
      ++free;
    }
    if (c.rejected > 0 && c.state != ChunkState::kDone)
      details += fmt::format("  chunk {} [{}, {}) rejected {} time{}: {}\n", c.index, c.first(),
                             plan->Target(c), c.rejected, c.rejected == 1 ? "" : "s", c.note);
  }
  return fmt::format("chunks of {} ({} entries each): {} done, {} leased, {} free{}; position {} of {}\n{}",
                     log.url, plan->size(), done, leased, free,
                     rejected ? fmt::format(" ({} rejected)", rejected) : "", log.position,
                     log.tree_size, details);
}

}  // namespace ctdl::cli
