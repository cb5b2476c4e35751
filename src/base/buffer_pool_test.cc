#include "base/buffer_pool.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ctdl {
namespace {

std::string Buffer(size_t capacity) {
  std::string s;
  s.reserve(capacity);
  s.assign(100, 'x');
  return s;
}

TEST(BufferPool, GivesBackAKeptBufferEmptyWithItsCapacity) {
  BufferPool pool(4, 1 << 20);
  std::string b = Buffer(100000);
  const char* data = b.data();
  pool.Put(std::move(b));
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(pool.kept_buffers(), 1u);
  std::string again = pool.Get(50000);
  EXPECT_TRUE(again.empty());
  EXPECT_GE(again.capacity(), 100000u);
  EXPECT_EQ(again.data(), data);  // the same memory: no fresh pages
  EXPECT_EQ(pool.kept_buffers(), 0u);
  EXPECT_EQ(pool.kept_bytes(), 0u);
}

TEST(BufferPool, PicksTheSmallestThatFitsElseTheLargestGrown) {
  BufferPool pool(4, 1 << 20);
  pool.Put(Buffer(1000));
  pool.Put(Buffer(200000));
  pool.Put(Buffer(50000));
  EXPECT_GE(pool.Get(40000).capacity(), 50000u);
  EXPECT_LT(pool.kept_bytes(), 250000u);
  std::string big = pool.Get(300000);  // none fits: the largest (200000) grown
  EXPECT_GE(big.capacity(), 300000u);
  EXPECT_EQ(pool.kept_buffers(), 1u);
  EXPECT_LT(pool.kept_bytes(), 5000u);  // the 1000-byte one is left
}

TEST(BufferPool, BoundedInBuffersAndBytes) {
  BufferPool pool(2, 300000);
  pool.Put(Buffer(100000));
  pool.Put(Buffer(100000));
  pool.Put(Buffer(100000));  // a third buffer: freed
  EXPECT_EQ(pool.kept_buffers(), 2u);
  BufferPool small(8, 150000);
  small.Put(Buffer(100000));
  small.Put(Buffer(100000));  // over the byte bound: freed
  EXPECT_EQ(small.kept_buffers(), 1u);
  EXPECT_LE(small.kept_bytes(), 150000u);
  small.Put(std::string("tiny"));  // small-string storage is not kept
  EXPECT_EQ(small.kept_buffers(), 1u);
}

TEST(BufferPool, EmptyPoolGivesAFreshStringOfTheWantedCapacity) {
  BufferPool pool(2, 1 << 20);
  EXPECT_GE(pool.Get(12345).capacity(), 12345u);
  EXPECT_TRUE(pool.Get().empty());
}

TEST(BufferPool, ManyThreads) {
  BufferPool pool(8, 8 << 20);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        std::string b = pool.Get(4096 + i % 7);
        b.append(4096, 'a');
        pool.Put(std::move(b));
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_LE(pool.kept_buffers(), 8u);
  EXPECT_LE(pool.kept_bytes(), size_t{8} << 20);
}

}  // namespace
}  // namespace ctdl
