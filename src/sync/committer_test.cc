#include "sync/committer.h"

#include <gtest/gtest.h>

#include <thread>

#include "sync/fake_log_for_test.h"

namespace ctdl {
namespace {

// A batch of entries [first, first + count) of the fake log (leaf hashes of FakeLeaf), one line each.
Batch FakeBatch(uint64_t first, uint64_t count) {
  Batch b;
  b.first = first;
  b.count = count;
  for (uint64_t i = first; i < first + count; ++i) {
    b.records += "{\"index\":" + std::to_string(i) + "}\n";
    b.line_ends.push_back(static_cast<uint32_t>(b.records.size()));
    b.hashes.push_back(HashLeaf(testing_fake::FakeLeaf(i)));
  }
  return b;
}

Hash256 RootOf(uint64_t size) {
  CompactRange r;
  for (uint64_t i = 0; i < size; ++i) r.Append(HashLeaf(testing_fake::FakeLeaf(i)));
  return r.Root();
}

struct Sealed {
  uint64_t first, last, verified_size;
  bool has_range;
};

class CommitterTest : public ::testing::Test {
 protected:
  Committer::Start Plan(uint64_t target) {
    Committer::Start s;
    s.url = "https://log.example/";
    s.target = target;
    s.segment_entries = 100;
    s.range_valid = true;
    return s;
  }
  // Runs the committer over `batches` (pushed in the given order, then the queue closed).
  Status RunWith(Committer::Start start, std::vector<Batch> batches) {
    Committer c(std::move(start), &counters, [&](uint64_t p) { positions.push_back(p); });
    ClosableQueue<Batch> in(batches.size() + 1);
    ClosableQueue<SealedSegment> out(1);
    for (Batch& b : batches) in.Push(std::move(b));
    in.Close();
    std::thread reader([&] {
      while (auto s = out.Pop())
        sealed.push_back({s->segment.first(), s->segment.last(), s->verified_size,
                          !s->compact_range.empty()});
    });
    Status st = c.Run(in, out);
    reader.join();
    return st;
  }
  DownloadCounters counters;
  std::vector<uint64_t> positions;
  std::vector<Sealed> sealed;
};

TEST_F(CommitterTest, ReordersAndSealsAlignedSegments) {
  Committer::Start s = Plan(250);
  s.signed_roots[250] = RootOf(250);
  ASSERT_TRUE(RunWith(s, {FakeBatch(120, 130), FakeBatch(0, 50), FakeBatch(50, 70)}).ok());
  ASSERT_EQ(sealed.size(), 3u);
  EXPECT_EQ(sealed[0].first, 0u);
  EXPECT_EQ(sealed[0].last, 99u);
  EXPECT_EQ(sealed[1].first, 100u);
  EXPECT_EQ(sealed[1].last, 199u);
  EXPECT_EQ(sealed[2].first, 200u);
  EXPECT_EQ(sealed[2].last, 249u);
  EXPECT_EQ(sealed[2].verified_size, 250u);  // the root matched at the signed size
  EXPECT_EQ(sealed[0].verified_size, 0u);
  EXPECT_EQ(positions, (std::vector<uint64_t>{50, 120, 250}));
  EXPECT_EQ(counters.position.load(), 250u);
}

TEST_F(CommitterTest, ResumesFromAnUnalignedPosition) {
  Committer::Start s = Plan(300);
  s.position = 130;
  s.range_valid = false;  // no Merkle state: no checks, no range handed on
  ASSERT_TRUE(RunWith(s, {FakeBatch(130, 170)}).ok());
  ASSERT_EQ(sealed.size(), 2u);
  EXPECT_EQ(sealed[0].first, 130u);
  EXPECT_EQ(sealed[0].last, 199u);  // up to the next boundary
  EXPECT_EQ(sealed[1].last, 299u);
  EXPECT_FALSE(sealed[0].has_range);
}

TEST_F(CommitterTest, ClosedInputSealsOnlyTheContiguousPrefix) {
  // [0, 60) and [80, 100) arrived, [60, 80) never did (stopped): 0..59 is sealed, nothing more.
  ASSERT_TRUE(RunWith(Plan(1000), {FakeBatch(80, 20), FakeBatch(0, 60)}).ok());
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].first, 0u);
  EXPECT_EQ(sealed[0].last, 59u);
  EXPECT_EQ(counters.position.load(), 60u);
}

TEST_F(CommitterTest, RootMismatchSealsNothingPastTheLastGoodSegment) {
  Committer::Start s = Plan(250);
  Hash256 wrong = RootOf(250);
  wrong[0] ^= 1;
  s.signed_roots[250] = wrong;
  Status st = RunWith(s, {FakeBatch(0, 250)});
  EXPECT_EQ(st.code(), Code::kVerifyFailed);
  EXPECT_NE(st.message().find("signed tree head says"), std::string::npos);
  ASSERT_EQ(sealed.size(), 2u);  // [0,99] [100,199]; the segment holding the mismatch is dropped
  EXPECT_EQ(sealed[1].last, 199u);
}

TEST_F(CommitterTest, EntryWithoutLeafHashEndsMerkleChecks) {
  Committer::Start s = Plan(100);
  Hash256 wrong{};
  s.signed_roots[100] = wrong;  // would fail, but checks stopped at the entry without a hash
  Batch b = FakeBatch(0, 100);
  b.missing = {10};
  b.bad = 1;
  ASSERT_TRUE(RunWith(s, {std::move(b)}).ok());
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_FALSE(sealed[0].has_range);
  EXPECT_EQ(counters.bad.load(), 1u);
}

TEST_F(CommitterTest, WriterThatRefusesStopsTheCommitter) {
  Committer c(Plan(1000), &counters, nullptr);
  ClosableQueue<Batch> in(4);
  ClosableQueue<SealedSegment> out(1);
  out.Cancel();  // the writer failed
  in.Push(FakeBatch(0, 150));
  Status st = c.Run(in, out);
  EXPECT_TRUE(st.ok());   // the writer reports its own error
  EXPECT_TRUE(in.closed());  // producers are released
  EXPECT_FALSE(in.Push(FakeBatch(150, 10)));
}

}  // namespace
}  // namespace ctdl
