#include "base/closable_queue.h"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
}  // namespace ctdl
