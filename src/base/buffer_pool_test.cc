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

// A buffer allocated for one reply serves the next even when that one is a little (up to 1/8) larger:
// the pool does not free it and map a fresh one for every few percent of size.
TEST(BufferPool, AFreshBufferHasHeadroomForASlightlyLargerNextReply) {
  BufferPool pool(2, 16 << 20);
  std::string b = pool.Get(2400000);
  EXPECT_GE(b.capacity(), 2400000u + 2400000u / 8);
  EXPECT_LT(b.capacity(), 2400000u + 2400000u / 8 + 2 * 65536);
  b.append(2400000, 'x');
  const char* data = b.data();
  pool.Put(std::move(b));
  std::string next = pool.Get(2650000);
  EXPECT_EQ(next.data(), data);  // the same memory, not grown
  EXPECT_EQ(BufferPool::WithHeadroom(1000), 1000u);
  EXPECT_EQ(BufferPool::WithHeadroom(65536), 131072u);
  EXPECT_EQ(BufferPool::WithHeadroom(8 * 65536), 9 * 65536u);
  EXPECT_EQ(BufferPool::WithHeadroom(8 * 65536 + 1), 10 * 65536u);
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
