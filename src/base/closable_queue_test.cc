#include "base/closable_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

namespace ctdl {
namespace {

TEST(ClosableQueueTest, FifoThenEndAfterCloseDrains) {
  ClosableQueue<int> q(4);
  EXPECT_TRUE(q.Push(1));
  EXPECT_TRUE(q.Push(2));
  q.Close();
  EXPECT_FALSE(q.Push(3));  // refused once closed
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), std::nullopt);
  EXPECT_EQ(q.Pop(), std::nullopt);
}

TEST(ClosableQueueTest, CancelDropsQueuedItems) {
  ClosableQueue<std::unique_ptr<int>> q(4);
  EXPECT_TRUE(q.Push(std::make_unique<int>(1)));
  q.Cancel();
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.Pop(), std::nullopt);
  EXPECT_TRUE(q.closed());
}

TEST(ClosableQueueTest, PushBlocksWhileFullAndCloseReleasesIt) {
  ClosableQueue<int> q(1);
  ASSERT_TRUE(q.Push(1));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = q.Push(2) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(result.load(), -1);  // still waiting for room
  q.Close();
  producer.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(q.Pop(), 1);
}

TEST(ClosableQueueTest, PopBlocksUntilPushOrClose) {
  ClosableQueue<int> q(2);
  std::atomic<int> got{0};
  std::thread consumer([&] {
    while (auto v = q.Pop()) got += *v;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.Push(5);
  q.Push(7);
  q.Close();
  consumer.join();
  EXPECT_EQ(got.load(), 12);
}

TEST(ClosableQueueTest, HeldSlotCountsUntilReleased) {
  ClosableQueue<int> q(1);
  ASSERT_TRUE(q.Push(1));
  ASSERT_EQ(q.PopHeld(), 1);  // being worked on: the slot stays taken
  std::atomic<bool> pushed{false};
  std::thread producer([&] { pushed = q.Push(2); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pushed.load());
  q.Release();
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(q.Pop(), 2);
}

TEST(ClosableQueueTest, ManyProducersAndConsumersLoseNothing) {
  ClosableQueue<int> q(3);
  constexpr int kPerProducer = 2000;
  std::atomic<long> sum{0};
  std::atomic<int> count{0};
  std::vector<std::thread> consumers, producers;
  for (int c = 0; c < 3; ++c)
    consumers.emplace_back([&] {
      while (auto v = q.Pop()) {
        sum += *v;
        ++count;
      }
    });
  for (int p = 0; p < 4; ++p)
    producers.emplace_back([&] {
      for (int i = 1; i <= kPerProducer; ++i) q.Push(i);
    });
  for (auto& t : producers) t.join();
  q.Close();
  for (auto& t : consumers) t.join();
  EXPECT_EQ(count.load(), 4 * kPerProducer);
  EXPECT_EQ(sum.load(), 4L * kPerProducer * (kPerProducer + 1) / 2);
}

// Waits until `done` holds or 5 s passed.
template <typename Done>
bool Within5s(Done done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return done();
}

// Notifications are skipped when nobody waits: each hand-over must still wake one of several blocked
// consumers (waking only on empty -> non-empty would leave three of four asleep next to their items).
TEST(ClosableQueueTest, EveryItemPushedWakesABlockedConsumer) {
  ClosableQueue<int> q(8);
  std::atomic<int> got{0};
  std::vector<std::thread> consumers;
  for (int c = 0; c < 4; ++c)
    consumers.emplace_back([&] {
      if (q.Pop()) ++got;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // (all four blocked by now)
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.Push(i));
  EXPECT_TRUE(Within5s([&] { return got.load() == 4; })) << got.load();
  q.Close();  // releases whoever was left asleep
  for (auto& t : consumers) t.join();
  EXPECT_EQ(q.size(), 0u);
}

// And each slot freed wakes one of several blocked producers (not only full -> not full).
TEST(ClosableQueueTest, EverySlotFreedWakesABlockedProducer) {
  ClosableQueue<int> q(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.Push(i));
  std::atomic<int> pushed{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p)
    producers.emplace_back([&, p] {
      if (q.Push(10 + p)) ++pushed;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // (all four blocked by now)
  for (int i = 0; i < 4; ++i) EXPECT_EQ(q.Pop(), i);  // FIFO: the first four first
  EXPECT_TRUE(Within5s([&] { return pushed.load() == 4; })) << pushed.load();
  q.Close();
  for (auto& t : producers) t.join();
  EXPECT_EQ(q.size(), static_cast<size_t>(pushed.load()));
}

// Release() hands the held slot to a blocked producer.
TEST(ClosableQueueTest, ReleaseWakesEachBlockedProducer) {
  ClosableQueue<int> q(2);
  ASSERT_TRUE(q.Push(1));
  ASSERT_TRUE(q.Push(2));
  ASSERT_EQ(q.PopHeld(), 1);
  ASSERT_EQ(q.PopHeld(), 2);
  std::atomic<int> pushed{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p)
    producers.emplace_back([&] {
      if (q.Push(3)) ++pushed;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(pushed.load(), 0);
  q.Release();
  q.Release();
  EXPECT_TRUE(Within5s([&] { return pushed.load() == 2; })) << pushed.load();
  q.Close();
  for (auto& t : producers) t.join();
}

}  // namespace
}  // namespace ctdl
