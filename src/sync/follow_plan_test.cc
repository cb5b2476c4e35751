#include "sync/follow_plan.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

using std::chrono::seconds;

TEST(FollowPlan, FullSegmentsAtOnceTailAfterRotate) {
  SteadyTime t0{};
  GrowthLog g;
  g.Observe(t0, 250);
  PlanInput in;
  in.committed = 0;
  in.tree_size = 250;
  in.segment_entries = 100;
  in.rotate = seconds(10);
  RunPlan p = PlanRun(in, g, t0);
  EXPECT_TRUE(p.run);
  EXPECT_EQ(p.end, 200u);  // the two full segments now
  in.committed = 200;
  p = PlanRun(in, g, t0 + seconds(5));
  EXPECT_FALSE(p.run);  // [200, 250) waits
  ASSERT_TRUE(p.rotate_at.has_value());
  EXPECT_EQ(*p.rotate_at, t0 + seconds(10));
  p = PlanRun(in, g, t0 + seconds(10));
  EXPECT_TRUE(p.run);
  EXPECT_EQ(p.end, 250u);  // rotated: a partial segment
}

TEST(FollowPlan, TailAgeIsWhenItsFirstEntryAppeared) {
  SteadyTime t0{};
  GrowthLog g;
  g.Observe(t0, 250);
  g.Observe(t0 + seconds(8), 280);
  g.Observe(t0 + seconds(9), 320);
  g.Forget(250);  // committed 250 (a rotation)
  PlanInput in;
  in.committed = 250;
  in.tree_size = 320;
  in.segment_entries = 100;
  in.rotate = seconds(10);
  // Entries [250, 280) appeared at 8 s and [280, 300) at 9 s: full segment [250, 300) now.
  RunPlan p = PlanRun(in, g, t0 + seconds(12));
  EXPECT_TRUE(p.run);
  EXPECT_EQ(p.end, 300u);
  in.committed = 300;
  g.Forget(300);
  p = PlanRun(in, g, t0 + seconds(12));
  EXPECT_FALSE(p.run);
  EXPECT_EQ(*p.rotate_at, t0 + seconds(19));  // entry 300 first seen at 9 s
}

TEST(FollowPlan, CaughtUpFinalAndNoRotation) {
  SteadyTime t0{};
  GrowthLog g;
  g.Observe(t0, 50);
  PlanInput in;
  in.committed = 50;
  in.tree_size = 50;
  EXPECT_FALSE(PlanRun(in, g, t0).run);
  in.committed = 10;
  in.segment_entries = 100;
  in.rotate = Duration::zero();
  RunPlan p = PlanRun(in, g, t0 + seconds(1000));
  EXPECT_FALSE(p.run);  // no rotation: waits for a full segment
  EXPECT_FALSE(p.rotate_at.has_value());
  in.final = true;  // readonly: everything, now
  p = PlanRun(in, g, t0);
  EXPECT_TRUE(p.run);
  EXPECT_EQ(p.end, 50u);
}

TEST(FollowPlan, GrowthLogStaysBounded) {
  GrowthLog g;
  SteadyTime t0{};
  for (uint64_t i = 1; i <= 10000; ++i) g.Observe(t0 + seconds(i), i);
  EXPECT_LE(g.size(), 257u);
  EXPECT_EQ(*g.FirstSeen(0), t0 + seconds(1));  // the earliest time is kept
  g.Forget(9990);
  EXPECT_LE(g.size(), 10u);
  EXPECT_EQ(*g.FirstSeen(9995), t0 + seconds(9996));
  EXPECT_FALSE(g.FirstSeen(20000).has_value());
}

}  // namespace
}  // namespace ctdl
