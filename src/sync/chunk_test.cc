// Distributed downloads: ChunkPlan (what is takeable), ChunkLease (fencing), FoldChunks (the log's
// position over done chunks) and DistributedLog end to end (three workers on one fake log).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "base/bytes.h"
#include "ct/merkle.h"
#include "sink/manifest.h"
#include "sink/memory_archive.h"
#include "sink/segment.h"
#include "sink/writer_claim.h"
#include "store/memory_state_store.h"
#include "sync/chunk_fold.h"
#include "sync/chunk_lease.h"
#include "sync/chunk_plan.h"
#include "sync/distributed.h"
#include "sync/fake_log_for_test.h"
#include "sync/log_owner.h"

namespace ctdl {
namespace {

using testing_fake::FakeLeaf;
using testing_fake::FakeLog;
using testing_fake::FakeLogOptions;
using testing_fake::FakeRouter;

constexpr char kUrl[] = "https://log.example/ct/";

LogState Log(uint64_t position = 0, uint64_t tree = 10000) {
  LogState l;
  l.url = kUrl;
  l.position = position;
  l.tree_size = tree;
  return l;
}

CompactRange RangeOf(uint64_t first, uint64_t end) {  // local range of fake leaves [first, end)
  CompactRange r;
  for (uint64_t i = first; i < end; ++i) r.Append(HashLeaf(FakeLeaf(i)));
  return r;
}

Hash256 RootOf(uint64_t n) {
  std::vector<Hash256> leaves;
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(HashLeaf(FakeLeaf(i)));
  return MerkleRoot(leaves);
}

TEST(ChunkPlan, ListsChunksFromThePositionAndFillsInMissingOnes) {
  EXPECT_FALSE(CheckChunkEntries(100).ok());
  EXPECT_FALSE(CheckChunkEntries(128).ok());
  EXPECT_FALSE(CheckChunkEntries(1000).ok());
  EXPECT_TRUE(CheckChunkEntries(256).ok());
  LogState log = Log(1500, 5000);
  log.compact_range = RangeOf(0, 1500).Serialize();  // a plain download got to 1500
  Chunk stored;
  stored.url = kUrl;
  stored.index = 3;
  stored.size = 1024;
  stored.state = ChunkState::kDone;
  stored.position = 4096;
  stored.counter = 7;
  auto plan = ChunkPlan::Make(log, 1024, 5000, {stored});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->chunks().size(), 4u);  // chunks 1..4; chunk 0 is below the position
  const Chunk& first = plan->chunks()[0];
  EXPECT_EQ(first.index, 1u);
  EXPECT_EQ(first.position, 1500u);  // continues where the log's own progress ends
  auto local = CompactRange::Parse(first.compact_range);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->Root(), RangeOf(1024, 1500).Root());
  EXPECT_EQ(plan->chunks()[1].position, 2048u);
  EXPECT_EQ(plan->chunks()[2].counter, 7u);
  EXPECT_EQ(plan->Target(plan->chunks()[3]), 5000u);  // the tail stops at the tree size
  EXPECT_FALSE(plan->AllFetched());
  // Another chunk size than the stored items': refused.
  EXPECT_EQ(ChunkPlan::Make(log, 2048, 5000, {stored}).status().code(), Code::kCorrupt);
}

TEST(ChunkPlan, PicksOnlyChunksWithWorkInALowWindow) {
  std::vector<Chunk> items;
  for (uint64_t k = 0; k < 3; ++k) {
    Chunk c;
    c.url = kUrl;
    c.index = k;
    c.size = 256;
    c.position = k * 256;
    c.state = k == 0 ? ChunkState::kDone : ChunkState::kLeased;
    c.expires_at = k == 1 ? 100 : 1000;  // chunk 1's lease expired at 100
    items.push_back(c);
  }
  auto plan = ChunkPlan::Make(Log(0, 256 * 100), 256, 256 * 100, items);
  ASSERT_TRUE(plan.ok());
  std::mt19937_64 rng(1);
  std::set<uint64_t> picked;
  for (int i = 0; i < 500; ++i) {
    const Chunk* c = plan->Pick(500, 0, {}, rng);
    ASSERT_NE(c, nullptr);
    picked.insert(c->index);
  }
  EXPECT_FALSE(picked.count(0));  // done
  EXPECT_TRUE(picked.count(1));   // expired lease: takeable
  EXPECT_FALSE(picked.count(2));  // leased
  EXPECT_LE(*picked.rbegin(), 17u);  // the lowest 16 with work
  EXPECT_EQ(plan->Leased(500), 1);
  // Lost races widen the window; skipped ones are not picked again.
  std::set<uint64_t> wide;
  for (int i = 0; i < 2000; ++i) wide.insert(plan->Pick(500, 2, {1}, rng)->index);
  EXPECT_FALSE(wide.count(1));
  EXPECT_GT(*wide.rbegin(), 40u);
}

TEST(ChunkLease, EveryWriteIsFencedByTheLeaseCounter) {
  auto store = NewMemoryStateStore();
  FakeClock clock;
  Chunk seen;
  seen.url = kUrl;
  seen.index = 2;
  seen.size = 256;
  seen.position = 512;
  auto a = ChunkLease::Take(store.get(), seen, "a", std::chrono::seconds(60), &clock);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // The same listing cannot be taken twice.
  EXPECT_EQ(ChunkLease::Take(store.get(), seen, "b", std::chrono::seconds(60), &clock).status().code(),
            Code::kConflict);
  ASSERT_TRUE((*a)->Renew().ok());
  ASSERT_TRUE((*a)->Commit(600, RangeOf(512, 600).Serialize()).ok());
  EXPECT_TRUE((*a)->Valid());
  clock.Advance(std::chrono::seconds(41));  // more than 2/3 of the lease since the last write
  EXPECT_FALSE((*a)->Valid());
  // b takes the expired lease from a fresh listing; every later write of a fails and a is lost.
  auto listed = store->ListChunks(kUrl);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].position, 600u);
  auto b = ChunkLease::Take(store.get(), (*listed)[0], "b", std::chrono::seconds(60), &clock);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*a)->Commit(700, "").code(), Code::kConflict);
  EXPECT_TRUE((*a)->lost());
  EXPECT_EQ((*a)->Renew().code(), Code::kConflict);
  EXPECT_EQ((*a)->MarkDone(768, "", "x").code(), Code::kConflict);
  ASSERT_TRUE((*b)->MarkDone(768, RangeOf(512, 768).Serialize(), "aGFzaA==").ok());
  listed = store->ListChunks(kUrl);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].owner, "b");
  EXPECT_EQ((*listed)[0].state, ChunkState::kDone);
  EXPECT_EQ((*listed)[0].position, 768u);
}

Chunk Done(uint64_t index, uint64_t size) {
  Chunk c;
  c.url = kUrl;
  c.index = index;
  c.size = size;
  c.state = ChunkState::kDone;
  c.position = c.end();
  CompactRange r = RangeOf(c.first(), c.end());
  c.compact_range = r.Serialize();
  c.subtree_hash = Base64Encode(AsView(r.Root()));
  return c;
}

TEST(FoldChunks, AdvancesOverTheContiguousDonePrefixAndTheTail) {
  auto store = NewMemoryStateStore();
  ASSERT_TRUE(store->Register({Log(0, 1100)}, false).ok());
  ASSERT_TRUE(store->UpdateTreeHead(kUrl, 1100, "").ok());
  // Chunks 0, 1 and 3 done, 2 not yet: the fold stops at 512.
  for (uint64_t k : {0, 1, 3}) ASSERT_TRUE(store->PutChunk(Done(k, 256), 0).ok());
  auto fold = [&] {
    LogState log = **store->Get(kUrl);
    auto items = store->ListChunks(kUrl);
    EXPECT_TRUE(items.ok());
    auto plan = ChunkPlan::Make(log, 256, 1100, *items);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    auto r = FoldChunks(store.get(), nullptr, log, *plan, nullptr, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return **store->Get(kUrl);
  };
  LogState s = fold();
  EXPECT_EQ(s.position, 512u);
  EXPECT_EQ(s.verified_size, 0u);  // folded without proofs: nothing verified
  ASSERT_TRUE(store->PutChunk(Done(2, 256), 0).ok());
  // The tail [1024, 1100) fetched to the tree size and released.
  Chunk tail;
  tail.url = kUrl;
  tail.index = 4;
  tail.size = 256;
  tail.position = 1100;
  tail.compact_range = RangeOf(1024, 1100).Serialize();
  ASSERT_TRUE(store->PutChunk(tail, 0).ok());
  s = fold();
  EXPECT_EQ(s.position, 1100u);
  auto range = CompactRange::Parse(s.compact_range);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->size(), 1100u);
  EXPECT_EQ(range->Root(), RootOf(1100));
  // The tree grows; the tail chunk continues to its end and is done: the fold resumes mid-chunk.
  ASSERT_TRUE(store->PutChunk(Done(4, 256), 1).ok());
  ASSERT_TRUE(store->UpdateTreeHead(kUrl, 1280, "").ok());
  LogState log = **store->Get(kUrl);
  auto plan = ChunkPlan::Make(log, 256, 1280, *store->ListChunks(kUrl));
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(FoldChunks(store.get(), nullptr, log, *plan, nullptr, {}).ok());
  s = **store->Get(kUrl);
  EXPECT_EQ(s.position, 1280u);
  EXPECT_EQ(CompactRange::Parse(s.compact_range)->Root(), RootOf(1280));
}

// Three DistributedLog workers (threads) on one fake log, one memory store and archive.
TEST(DistributedLog, ThreeWorkersEveryIndexExactlyOnce) {
  FakeLogOptions o;
  o.size = 12000;
  o.cap = 128;
  o.p5xx = 0.05;
  o.pshort = 0.1;
  FakeLog log(kUrl, o, RealClock());
  FakeRouter router;
  router.Add(&log);
  auto store = NewMemoryStateStore();
  auto archive = NewMemoryArchive();
  ASSERT_TRUE(store->Register({Log(0, 0)}, false).ok());
  std::atomic<int> stop{0};
  DownloadContext ctx;
  ctx.store = store.get();
  ctx.archive = archive.get();
  ctx.http = &router;
  ctx.clock = RealClock();
  ctx.stop_signals = &stop;
  DownloadOptions options;
  options.urls = {kUrl};
  options.distributed = true;
  options.chunk_entries = 1024;
  options.segment_entries = 300;
  options.max_inflight = 4;
  options.lease_seconds = 3;
  PipelineTuning tuning;
  tuning.poll = std::chrono::milliseconds(2);
  tuning.backoff = Backoff{std::chrono::milliseconds(1), std::chrono::milliseconds(5)};
  std::vector<Status> results(3);
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w)
    workers.emplace_back([&, w] {
      TokenBucket bucket(0);
      DistributedLog d(kUrl, options, ctx, &bucket, "worker-" + std::to_string(w), tuning);
      results[w] = d.Run();
    });
  for (auto& t : workers) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  LogState s = **store->Get(kUrl);
  EXPECT_EQ(s.position, 12000u);
  EXPECT_EQ(CompactRange::Parse(s.compact_range)->Root(), RootOf(12000));
  // Every index exactly once, each segment inside one chunk and named after its records.
  uint64_t next = 0;
  int manifests = 0;
  for (const auto& [key, data] : archive->Objects()) {
    if (key == ManifestKey(LogSlug(kUrl))) {  // written once, before the first chunk (sync/archive_guard.h)
      ++manifests;
      continue;
    }
    if (ParseClaimKey(key)) {  // the folder's writer claim: one, shared by the three workers
      EXPECT_EQ(*ParseClaimKey(key), 1u) << key;
      continue;
    }
    auto name = ParseSegmentKey(key);
    ASSERT_TRUE(name) << key;
    EXPECT_EQ(name->first, next) << key;
    EXPECT_EQ(name->first / 1024, name->last / 1024) << key;
    auto text = DecompressSegment(data, name->compression);
    ASSERT_TRUE(text.ok());
    uint64_t lines = std::count(text->begin(), text->end(), '\n');
    EXPECT_EQ(lines, name->last - name->first + 1) << key;
    EXPECT_NE(text->find("\"index\":" + std::to_string(name->last) + ","), std::string::npos) << key;
    next = name->last + 1;
  }
  EXPECT_EQ(next, 12000u);
  EXPECT_EQ(manifests, 1);
  auto chunks = store->ListChunks(kUrl);
  ASSERT_TRUE(chunks.ok());
  std::set<std::string> owners;
  for (const Chunk& c : *chunks) owners.insert(c.owner);
  EXPECT_EQ(chunks->size(), 12u);
  EXPECT_GE(owners.size(), 2u) << "the work was not shared";
}

// A plain download owns the log (its lease, sync/log_owner.h): a distributed worker waits, writes no
// chunk item and no segment; once the lease is released it does the work.
TEST(DistributedLog, WaitsWhileAPlainDownloadOwnsTheLog) {
  FakeLogOptions o;
  o.size = 2000;
  o.cap = 128;
  FakeLog log(kUrl, o, RealClock());
  FakeRouter router;
  router.Add(&log);
  auto store = NewMemoryStateStore();
  auto archive = NewMemoryArchive();
  ASSERT_TRUE(store->Register({Log(0, 0)}, false).ok());
  std::atomic<int> stop{0};
  DownloadContext ctx;
  ctx.store = store.get();
  ctx.archive = archive.get();
  ctx.http = &router;
  ctx.clock = RealClock();
  ctx.stop_signals = &stop;
  DownloadOptions options;
  options.urls = {kUrl};
  options.distributed = true;
  options.chunk_entries = 1024;
  options.segment_entries = 256;
  options.lease_seconds = 1.2;  // looks again every 200 ms
  auto plain = std::make_unique<LogOwner>(store.get(), RealClock(), kUrl);
  ASSERT_TRUE(plain->Acquire().ok());
  Status result = Internal("not run");
  std::thread worker([&] {
    TokenBucket bucket(0);
    DistributedLog d(kUrl, options, ctx, &bucket, "worker-0");
    result = d.Run();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(store->ListChunks(kUrl)->empty()) << "a worker leased a chunk of an owned log";
  for (const auto& [key, data] : archive->Objects()) EXPECT_FALSE(ParseSegmentKey(key)) << key;
  EXPECT_EQ((**store->Get(kUrl)).position, 0u);
  ASSERT_TRUE(plain->Release().ok());
  worker.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ((**store->Get(kUrl)).position, 2000u);
}

}  // namespace
}  // namespace ctdl
