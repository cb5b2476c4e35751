#include "sync/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ctdl {
namespace {

using State = Scheduler::State;
using Failure = Scheduler::Failure;

class SchedulerTest : public ::testing::Test {
 protected:
  // A tiled source (256-entry tiles, no probing) over a tree of tree_size entries.
  void Tiled(uint64_t tree_size) {
    source = NewTiledSource("https://tiles.example/");
    source->SetTreeSize(tree_size);
  }
  Scheduler::Config Config(uint64_t position, uint64_t target, int inflight) {
    Scheduler::Config c;
    c.position = position;
    c.target = target;
    c.initial_inflight = inflight;
    c.max_inflight = inflight;
    c.window_entries = 0;  // 4 requests' worth
    c.poll = std::chrono::milliseconds(1);
    return c;
  }
  Scheduler& Make(Scheduler::Config c, const TokenBucket* pacing = nullptr) {
    s = std::make_unique<Scheduler>(c, source.get(), &clock, pacing, [this] { return stop.load(); });
    return *s;
  }
  Scheduler::Claim MustClaim() {
    Scheduler::Attempt a = s->TryClaim();
    EXPECT_TRUE(a.claim.has_value());
    return a.claim.value_or(Scheduler::Claim{});
  }
  // A claim fetched and decoded in full.
  void Deliver(const Scheduler::Claim& c) {
    s->Fetched(c);
    s->Decoded(c, c.end - c.start);
  }

  FakeClock clock;
  std::unique_ptr<LogSource> source;
  std::unique_ptr<Scheduler> s;
  std::atomic<bool> stop{false};
};

TEST_F(SchedulerTest, ClaimsLowestPendingUpToTheInflightLimit) {
  Tiled(1000);
  Make(Config(0, 1000, 2));
  Scheduler::Claim a = MustClaim();
  Scheduler::Claim b = MustClaim();
  EXPECT_EQ(a.start, 0u);
  EXPECT_EQ(a.end, 256u);
  EXPECT_EQ(b.start, 256u);
  EXPECT_EQ(b.end, 512u);
  Scheduler::Attempt none = s->TryClaim();
  EXPECT_FALSE(none.claim);
  EXPECT_FALSE(none.finished);
  EXPECT_FALSE(none.ready_at);  // waits for a report, not for time
  EXPECT_EQ(s->Count(State::kInFlight), 2u);
  EXPECT_EQ(s->Count(State::kPending), 1u);  // [512, 1000)
  s->Fetched(a);  // the slot is free while it decodes
  EXPECT_EQ(s->Count(State::kDecoding), 1u);
  EXPECT_EQ(MustClaim().start, 512u);
}

TEST_F(SchedulerTest, ClaimsOnlyWithinTheWindowOfThePosition) {
  Tiled(10000);
  Make(Config(0, 10000, 64));  // window: 4 tiles
  std::vector<Scheduler::Claim> claims;
  for (int i = 0; i < 4; ++i) claims.push_back(MustClaim());
  EXPECT_FALSE(s->TryClaim().claim);
  Deliver(claims[1]);  // done, but the committer still waits for [0, 256)
  EXPECT_FALSE(s->TryClaim().claim);
  Deliver(claims[0]);
  s->SetPosition(512);
  EXPECT_EQ(s->Count(State::kDone), 0u);  // passed by the committer: dropped
  Scheduler::Claim next = MustClaim();
  EXPECT_EQ(next.start, 1024u);
  EXPECT_EQ(MustClaim().start, 1280u);
  EXPECT_FALSE(s->TryClaim().claim);
}

TEST_F(SchedulerTest, FailedRangeWaitsForItsBackoffOthersGoOn) {
  Tiled(768);
  Scheduler::Config c = Config(0, 768, 4);
  c.max_inflight = 8;
  Make(c);
  Scheduler::Claim a = MustClaim();
  EXPECT_EQ(s->limit(), 4);
  Scheduler::Retry r = s->Failed(a, Failure::kRetry);  // a 5xx: AIMD halves
  EXPECT_FALSE(r.give_up);
  EXPECT_EQ(r.tries, 1);
  EXPECT_GT(r.delay, Duration::zero());
  EXPECT_EQ(s->limit(), 2);
  EXPECT_EQ(s->Count(State::kPending), 2u);
  EXPECT_EQ(MustClaim().start, 256u);  // [0, 256) is backing off
  Scheduler::Claim b = MustClaim();
  EXPECT_EQ(b.start, 512u);
  s->Fetched(b);
  Scheduler::Attempt wait = s->TryClaim();
  ASSERT_FALSE(wait.claim);
  ASSERT_TRUE(wait.ready_at);
  EXPECT_EQ(*wait.ready_at, clock.Now() + r.delay);
  clock.Advance(r.delay);
  Scheduler::Claim again = MustClaim();
  EXPECT_EQ(again.start, 0u);
  EXPECT_EQ(again.end, 256u);
  s->Decoded(b, 256);
  EXPECT_EQ(s->limit(), 3);  // additive increase
}

TEST_F(SchedulerTest, LongRetryAfterPausesEveryRange) {
  Tiled(1000);
  Make(Config(0, 1000, 8));
  Scheduler::Claim a = MustClaim();
  Scheduler::Claim b = MustClaim();
  s->Failed(a, Failure::kThrottled, std::chrono::seconds(2));  // short: only this range waits
  EXPECT_FALSE(s->paused_until());
  EXPECT_TRUE(s->TryClaim().claim);
  Scheduler::Retry r = s->Failed(b, Failure::kThrottled, std::chrono::seconds(30));
  EXPECT_GE(r.delay, std::chrono::seconds(30));
  ASSERT_TRUE(s->paused_until());
  Scheduler::Attempt paused = s->TryClaim();
  EXPECT_FALSE(paused.claim);
  ASSERT_TRUE(paused.ready_at);
  EXPECT_EQ(*paused.ready_at, clock.Now() + std::chrono::seconds(30));
  clock.Advance(std::chrono::seconds(29));
  EXPECT_FALSE(s->TryClaim().claim);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(MustClaim().start, 0u);  // the lowest pending range first
}

TEST_F(SchedulerTest, GivesUpAfterMaxAttemptsAndFinishes) {
  Tiled(256);
  Scheduler::Config c = Config(0, 256, 2);
  c.max_attempts = 3;
  Make(c);
  Scheduler::Retry r;
  for (int i = 1; i <= 3; ++i) {
    clock.Advance(std::chrono::minutes(5));  // past any backoff
    Scheduler::Claim a = MustClaim();
    r = s->Failed(a, Failure::kRetry);
    EXPECT_EQ(r.tries, i);
  }
  EXPECT_TRUE(r.give_up);
  EXPECT_EQ(s->Count(State::kFailed), 1u);
  EXPECT_TRUE(s->TryClaim().finished);
  EXPECT_FALSE(s->Next());
}

TEST_F(SchedulerTest, PartialTile404FallsBackToTheFullTileOnce) {
  Tiled(300);  // tile 1 is partial (44 entries)
  Make(Config(0, 300, 4));
  MustClaim();
  Scheduler::Claim p = MustClaim();
  ASSERT_EQ(p.start, 256u);
  EXPECT_FALSE(p.full_tile);
  Scheduler::Retry r = s->Failed(p, Failure::kNotFound);
  EXPECT_TRUE(r.full_tile);
  EXPECT_FALSE(r.give_up);
  EXPECT_EQ(r.delay, Duration::zero());
  Scheduler::Claim full = MustClaim();
  EXPECT_EQ(full.start, 256u);
  EXPECT_TRUE(full.full_tile);
  r = s->Failed(full, Failure::kNotFound);  // the full tile 404s too: back to the partial one, counted
  EXPECT_FALSE(r.full_tile);
  EXPECT_EQ(r.tries, 1);
  clock.Advance(r.delay);
  EXPECT_FALSE(MustClaim().full_tile);
}

TEST_F(SchedulerTest, ProbingIsOneAtATimeAndAPartialReplyRequeuesTheRest) {
  source = NewRfc6962Source("https://log.example/");
  Make(Config(0, 5000, 8));
  Scheduler::Claim probe = MustClaim();
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(probe.start, 0u);
  EXPECT_EQ(probe.end, 1024u);  // CapDiscovery's probe size
  s->Fetched(probe);
  EXPECT_FALSE(s->TryClaim().claim);  // the probe is still decoding
  s->Decoded(probe, 100);             // a capped reply
  EXPECT_EQ(s->Count(State::kDone), 1u);
  Scheduler::Claim next = MustClaim();
  EXPECT_EQ(next.start, 100u);  // the rest of the probe, then everything after it
}

TEST_F(SchedulerTest, FinishedWhenEverythingWasDecoded) {
  Tiled(512);
  Make(Config(0, 512, 4));
  Scheduler::Claim a = MustClaim();
  Scheduler::Claim b = MustClaim();
  Deliver(b);
  EXPECT_FALSE(s->TryClaim().finished);
  s->Fetched(a);
  s->Failed(a, Failure::kBadReply);  // decoding failed: pending again
  EXPECT_EQ(s->Count(State::kPending), 1u);
  clock.Advance(std::chrono::minutes(1));
  a = MustClaim();
  Deliver(a);
  EXPECT_TRUE(s->TryClaim().finished);
  EXPECT_FALSE(s->Next());
}

TEST_F(SchedulerTest, PacedHostCapsTheInflightLimit) {
  Tiled(10000);
  LearntRate known;
  known.rps = 4;  // half a second of pacing slots: 2
  TokenBucket bucket(0, known);
  Make(Config(0, 10000, 16), &bucket);
  EXPECT_EQ(s->limit(), 2);
}

TEST_F(SchedulerTest, NextSleepsOnTheClockForABackoff) {
  Tiled(256);
  Make(Config(0, 256, 2));
  Scheduler::Claim a = MustClaim();
  Scheduler::Retry r = s->Failed(a, Failure::kStale, std::chrono::seconds(3));
  EXPECT_GE(r.delay, std::chrono::seconds(3));
  Duration slept = clock.TotalSlept();
  std::optional<Scheduler::Claim> again = s->Next();  // FakeClock: sleeping advances it
  ASSERT_TRUE(again);
  EXPECT_EQ(again->start, 0u);
  EXPECT_GE(clock.TotalSlept() - slept, r.delay);
}

TEST_F(SchedulerTest, NextWakesForAReportAndForAStop) {
  Tiled(1000);
  Make(Config(0, 1000, 1));
  Scheduler::Claim a = MustClaim();
  std::optional<Scheduler::Claim> got;
  std::thread waiter([&] { got = s->Next(); });
  s->Fetched(a);  // frees the one slot
  waiter.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->start, 256u);
  bool returned = false;
  std::thread stopped([&] { returned = !s->Next().has_value(); });  // limit reached: waits
  stop = true;
  s->Wake();
  stopped.join();
  EXPECT_TRUE(returned);
}

// Against a fast log the memory window is what holds fetchers back: a report that frees a fetch slot
// but leaves the window full must not wake a waiting fetcher (it found nothing and slept again, 2-3
// times per reply); the report that moves the window wakes one, which passes the turn on while more
// can be claimed.
TEST_F(SchedulerTest, ReportsWakeAWaitingFetcherOnlyWhenItCanClaim) {
  Tiled(10000);
  Scheduler::Config c = Config(0, 10000, 64);  // window: 4 tiles
  c.poll = std::chrono::seconds(20);            // only reports wake a waiter
  Make(c);
  std::vector<Scheduler::Claim> claims;
  for (int i = 0; i < 4; ++i) claims.push_back(MustClaim());
  std::atomic<int> claimed{0}, ended{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i)
    waiters.emplace_back([&] {
      if (s->Next()) ++claimed;
      else ++ended;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // (all three waiting by now)
  Deliver(claims[1]);  // two free slots, the window still full: nothing to claim
  Deliver(claims[2]);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(s->idle_wakeups(), 0u);
  EXPECT_EQ(claimed.load(), 0);
  auto t0 = std::chrono::steady_clock::now();
  Deliver(claims[0]);
  s->SetPosition(768);  // window [768, 1792): [1024, 1280), [1280, 1536) and [1536, 1792) claimable
  while (claimed.load() < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(claimed.load(), 3);  // one woken, which passed the turn on, twice
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  s->Close();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(ended.load(), 0);
  EXPECT_EQ(s->idle_wakeups(), 0u);
}

TEST_F(SchedulerTest, CloseEndsWaitingFetchers) {
  Tiled(1000);
  Make(Config(0, 1000, 1));
  MustClaim();
  std::thread waiter([&] { EXPECT_FALSE(s->Next()); });
  s->Close();
  waiter.join();
  EXPECT_TRUE(s->TryClaim().finished);
}

}  // namespace
}  // namespace ctdl
