// When a followed log (--follow) runs its next download, and where that download stops. Pure: the
// follower (sync/log_mirror.h) feeds it the tree sizes it polled and the time.
//
// Segments are sealed by size at multiples of --segment-entries, and by time (--rotate-seconds): a
// partial segment is written once the oldest entry waiting for it was first seen more than
// rotate seconds ago. So a growing log produces full, aligned segments while it grows fast, and one
// shorter segment per rotation while it grows slowly; names stay <first>-<last> and contiguous.
// Inside a run the committer seals by age as well (Committer::SealByAge), for long catch-ups.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace ctdl {

// The first time each tree size beyond the committed position was seen. Bounded (256 sizes: older
// ones are merged, keeping the earlier time, so a tail is never thought younger than it is).
class GrowthLog {
 public:
  void Observe(SteadyTime now, uint64_t tree_size);
  // When the entry at `index` was first known to exist (nullopt: not seen yet).
  std::optional<SteadyTime> FirstSeen(uint64_t index) const;
  void Forget(uint64_t position);  // entries below position are committed
  size_t size() const { return seen_.size(); }

 private:
  std::vector<std::pair<uint64_t, SteadyTime>> seen_;  // (tree size, first seen), sizes ascending
};

struct RunPlan {
  bool run = false;  // download now, to `end`
  uint64_t end = 0;
  std::optional<SteadyTime> rotate_at;  // !run: when the waiting tail becomes due (nullopt: none)
};

struct PlanInput {
  uint64_t committed = 0;
  uint64_t tree_size = 0;
  uint64_t segment_entries = 100000;
  Duration rotate{0};  // <= 0: partial segments only when the log is final
  bool final = false;  // readonly / retired: download everything, the tree will not grow
};

RunPlan PlanRun(const PlanInput& in, const GrowthLog& growth, SteadyTime now);

}  // namespace ctdl
