#include "sync/follow_plan.h"

#include <algorithm>

namespace ctdl {

void GrowthLog::Observe(SteadyTime now, uint64_t tree_size) {
  if (!seen_.empty() && seen_.back().first >= tree_size) return;
  seen_.emplace_back(tree_size, now);
  if (seen_.size() > 256) {  // merge the two oldest but one: the larger size, the earlier time
    seen_[2].second = seen_[1].second;
    seen_.erase(seen_.begin() + 1);
  }
}

std::optional<SteadyTime> GrowthLog::FirstSeen(uint64_t index) const {
  // The first observed size covering `index` (sizes and times ascending).
  auto it = std::upper_bound(seen_.begin(), seen_.end(), index,
                             [](uint64_t i, const auto& s) { return i < s.first; });
  if (it == seen_.end()) return std::nullopt;
  return it->second;
}

void GrowthLog::Forget(uint64_t position) {
  auto it = std::upper_bound(seen_.begin(), seen_.end(), position,
                             [](uint64_t p, const auto& s) { return p < s.first; });
  // Sizes <= position are done; the time of the first one left stays as seen.
  seen_.erase(seen_.begin(), it);
}

RunPlan PlanRun(const PlanInput& in, const GrowthLog& growth, SteadyTime now) {
  RunPlan p;
  if (in.tree_size <= in.committed) return p;
  if (in.final) return {true, in.tree_size, std::nullopt};
  uint64_t seg = std::max<uint64_t>(1, in.segment_entries);
  uint64_t boundary = in.tree_size / seg * seg;  // the last full segment's end
  uint64_t tail = std::max(in.committed, boundary);
  if (tail < in.tree_size && in.rotate > Duration::zero()) {
    SteadyTime since = growth.FirstSeen(tail).value_or(now);
    SteadyTime due = since + in.rotate;
    if (due <= now) return {true, in.tree_size, std::nullopt};
    p.rotate_at = due;
  }
  if (boundary > in.committed) {
    p.run = true;
    p.end = boundary;
  }
  return p;
}

}  // namespace ctdl
