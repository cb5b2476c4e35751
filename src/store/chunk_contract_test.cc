// The chunk part of the StateStore contract (state_store.h, store/chunk.h), run against every backend
// that instantiates StateStoreContract (memory and sqlite here, DynamoDB against dynalite).
#include <atomic>
#include <random>
#include <thread>

#include "store/state_store_contract.h"

namespace ctdl {
namespace {

std::string ChunkUrl(const std::string& suffix) {
  static const uint64_t run = std::random_device{}();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "https://" + std::to_string(run) + "." + std::string(info->name()) + ".chunks.test/" + suffix +
         "/";
}

Chunk Leased(const std::string& url, uint64_t index, const std::string& owner) {
  Chunk c;
  c.url = url;
  c.index = index;
  c.size = 4096;
  c.state = ChunkState::kLeased;
  c.owner = owner;
  c.expires_at = 2000000000;
  c.position = index * 4096;
  return c;
}

TEST_P(StateStoreContract, ChunksStartMissingAndAreCreatedByTheFirstWrite) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string url = ChunkUrl("log");
  auto none = store->ListChunks(url);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  // Only counter 0 creates a missing item.
  EXPECT_EQ(store->PutChunk(Leased(url, 3, "a"), 1).code(), Code::kNotFound);
  ASSERT_TRUE(store->PutChunk(Leased(url, 3, "a"), 0).ok());
  ASSERT_TRUE(store->PutChunk(Leased(url, 1, "b"), 0).ok());
  ASSERT_TRUE(store->PutChunk(Leased(ChunkUrl("other"), 0, "c"), 0).ok());
  auto got = store->ListChunks(url);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].index, 1u);  // sorted by index
  EXPECT_EQ((*got)[1].index, 3u);
  EXPECT_EQ((*got)[1].owner, "a");
  EXPECT_EQ((*got)[1].counter, 1u);
  EXPECT_EQ((*got)[1].state, ChunkState::kLeased);
  EXPECT_EQ((*got)[1].position, 3u * 4096);
  EXPECT_GT((*got)[1].updated_at, 0);
}

TEST_P(StateStoreContract, PutChunkIsCompareAndSetOnTheCounter) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string url = ChunkUrl("log");
  ASSERT_TRUE(store->PutChunk(Leased(url, 0, "a"), 0).ok());
  // A second "create" loses: the item exists with counter 1.
  EXPECT_EQ(store->PutChunk(Leased(url, 0, "b"), 0).code(), Code::kConflict);
  Chunk done = Leased(url, 0, "a");
  done.state = ChunkState::kDone;
  done.position = 4096;
  done.compact_range = "4096:AAAA";
  done.subtree_hash = "c3VidHJlZQ==";
  done.counter = 999;  // ignored: the store writes expected + 1
  EXPECT_EQ(store->PutChunk(done, 5).code(), Code::kConflict);
  ASSERT_TRUE(store->PutChunk(done, 1).ok());
  EXPECT_EQ(store->PutChunk(done, 1).code(), Code::kConflict);  // fenced: counter is 2 now
  auto got = store->ListChunks(url);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  const Chunk& c = (*got)[0];
  EXPECT_EQ(c.counter, 2u);
  EXPECT_EQ(c.state, ChunkState::kDone);
  EXPECT_EQ(c.owner, "a");
  EXPECT_EQ(c.position, 4096u);
  EXPECT_EQ(c.size, 4096u);
  EXPECT_EQ(c.compact_range, "4096:AAAA");
  EXPECT_EQ(c.subtree_hash, "c3VidHJlZQ==");
  // Fields can be cleared again (a rejected chunk goes back to free).
  Chunk reset = c;
  reset.state = ChunkState::kFree;
  reset.position = 0;
  reset.compact_range.clear();
  reset.subtree_hash.clear();
  reset.rejected = 1;
  reset.note = "root mismatch";
  ASSERT_TRUE(store->PutChunk(reset, 2).ok());
  got = store->ListChunks(url);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0].state, ChunkState::kFree);
  EXPECT_EQ((*got)[0].subtree_hash, "");
  EXPECT_EQ((*got)[0].compact_range, "");
  EXPECT_EQ((*got)[0].rejected, 1u);
  EXPECT_EQ((*got)[0].note, "root mismatch");
  EXPECT_EQ((*got)[0].counter, 3u);
}

TEST_P(StateStoreContract, ConcurrentChunkLeasesHaveOneWinner) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string url = ChunkUrl("log");
  for (uint64_t round = 0; round < 4; ++round) {
    std::atomic<int> wins{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        Status s = store->PutChunk(Leased(url, 7, "w" + std::to_string(t)), round);
        if (s.ok()) ++wins;
        else if (s.code() == Code::kConflict) ++conflicts;
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(conflicts.load(), 3);
  }
  auto got = store->ListChunks(url);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].counter, 4u);
}

TEST_P(StateStoreContract, ManyChunksListInOrder) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string url = ChunkUrl("log");
  for (uint64_t i : {40u, 2u, 17u, 0u, 1000000u}) ASSERT_TRUE(store->PutChunk(Leased(url, i, "a"), 0).ok());
  auto got = store->ListChunks(url);
  ASSERT_TRUE(got.ok());
  std::vector<uint64_t> idx;
  for (const Chunk& c : *got) idx.push_back(c.index);
  EXPECT_EQ(idx, (std::vector<uint64_t>{0, 2, 17, 40, 1000000}));
}

}  // namespace
}  // namespace ctdl
