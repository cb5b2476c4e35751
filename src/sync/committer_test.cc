#include "sync/committer.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// Entries [first, first + count) of the fake log as a decoder hands them to MakeBatch (undecodable
// bytes: error records, which still differ per entry), with the decoder's pieces packed when `plan`.
Batch MadeBatch(uint64_t first, uint64_t count, const PiecePlan* plan) {
  std::vector<LogEntry> entries(count);
  for (uint64_t i = 0; i < count; ++i) {
    LogEntry& e = entries[i];
    e.index = first + i;
    e.timestamp = 1700000000000 + first + i;
    e.cert = "not DER " + std::to_string(first + i);
    e.error = "undecodable (test)";
    e.leaf_hash = HashLeaf(testing_fake::FakeLeaf(first + i));
    e.has_leaf_hash = true;
  }
  RecordContext rc;
  rc.log_url = "https://log.example/";
  rc.pieces = plan;
  return MakeBatch(first, entries, rc);
}

struct Sealed {
  uint64_t first, last, verified_size;
  bool has_range;
  std::string bytes;  // the segment as the writer would Put it
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
    c.SealByAge(age_clock, age);
    ClosableQueue<Batch> in(batches.size() + 1);
    ClosableQueue<SealedSegment> out(1);
    for (Batch& b : batches) in.Push(std::move(b));
    in.Close();
    std::thread reader([&] {
      while (auto s = out.Pop()) {
        auto bytes = s->segment.Compress(s->segment.compression());
        sealed.push_back({s->segment.first(), s->segment.last(), s->verified_size,
                          !s->compact_range.empty(), bytes.ok() ? *bytes : ""});
      }
    });
    Status st = c.Run(in, out);
    reader.join();
    return st;
  }
  Clock* age_clock = nullptr;  // SealByAge(age_clock, age) when set
  Duration age{0};
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

// A fake clock where entries arrive at one per second: it reads the committer's position, so "now"
// when a batch is consumed is the index after it, in seconds (deterministic whatever the threads do).
class ArrivalClock : public Clock {
 public:
  explicit ArrivalClock(const DownloadCounters* n) : n_(n) {}
  SteadyTime Now() const override { return SteadyTime{} + std::chrono::seconds(n_->position.load()); }
  WallTime WallNow() const override { return WallTime{} + std::chrono::seconds(n_->position.load()); }
  void SleepFor(Duration) override {}

 private:
  const DownloadCounters* n_;
};

std::vector<std::pair<uint64_t, uint64_t>> Ranges(const std::vector<Sealed>& sealed) {
  std::vector<std::pair<uint64_t, uint64_t>> r;
  for (const Sealed& s : sealed) r.emplace_back(s.first, s.last);
  return r;
}

TEST_F(CommitterTest, SealsByAgeDuringASlowCatchUp) {
  std::vector<Batch> batches;
  for (uint64_t i = 0; i < 250; i += 10) batches.push_back(FakeBatch(i, 10));
  Committer::Start s = Plan(250);
  s.signed_roots[250] = RootOf(250);
  ArrivalClock clock(&counters);
  age_clock = &clock;
  age = std::chrono::seconds(35);
  ASSERT_TRUE(RunWith(s, batches).ok());
  // A segment is sealed after the batch that finds it 35 s old (its first batch came 40 s before);
  // the next one ends at the next aligned boundary at the latest: contiguous, every entry once.
  // [0,49]: born 10 s, sealed at 50 s; [50,99]: born 60 s, the boundary at 100 comes first;
  // [100,149]: born 110 s, sealed at 150 s; [150,199]: the boundary; [200,249]: the target.
  using R = std::vector<std::pair<uint64_t, uint64_t>>;
  EXPECT_EQ(Ranges(sealed), (R{{0, 49}, {50, 99}, {100, 149}, {150, 199}, {200, 249}}));
  EXPECT_EQ(sealed.back().verified_size, 250u);
  EXPECT_TRUE(sealed.back().has_range);
  EXPECT_EQ(sealed.front().verified_size, 0u);

  // The same arrivals without an age: full segments only.
  sealed.clear();
  counters.position = 0;
  age = Duration::zero();
  std::vector<Batch> again;
  for (uint64_t i = 0; i < 250; i += 10) again.push_back(FakeBatch(i, 10));
  ASSERT_TRUE(RunWith(s, again).ok());
  EXPECT_EQ(Ranges(sealed), (R{{0, 99}, {100, 199}, {200, 249}}));
}

TEST_F(CommitterTest, AgeSealOfABatchThatCrossesABoundary) {
  // One batch [90, 130) crosses the boundary at 100: the size seal comes first, the age is then
  // counted from that batch, so [100, 129] waits for the next batch that finds it old.
  Committer::Start s = Plan(200);
  s.position = 60;
  s.range_valid = false;
  ArrivalClock clock(&counters);
  age_clock = &clock;
  age = std::chrono::seconds(30);
  ASSERT_TRUE(RunWith(s, {FakeBatch(60, 30), FakeBatch(90, 40), FakeBatch(130, 20), FakeBatch(150, 50)})
                  .ok());
  using R = std::vector<std::pair<uint64_t, uint64_t>>;
  // born 90 (first batch); at 130 the size seal [60,99]; [100,129] born 130; at 150 age 20; at 200
  // (the target) the size seal takes the rest.
  EXPECT_EQ(Ranges(sealed), (R{{60, 99}, {100, 199}}));
  sealed.clear();
  counters.position = 0;
  age = std::chrono::seconds(15);
  ASSERT_TRUE(RunWith(s, {FakeBatch(60, 30), FakeBatch(90, 40), FakeBatch(130, 20), FakeBatch(150, 50)})
                  .ok());
  EXPECT_EQ(Ranges(sealed), (R{{60, 99}, {100, 149}, {150, 199}}));
}

// Segments are the same bytes whether records came plain or as pieces the decoders compressed, and
// whatever the replies' sizes: pieces end at multiples of kPieceEntries and at segment ends.
TEST_F(CommitterTest, PackedPiecesGiveTheSameSegmentBytesAsPlainRecords) {
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    const uint64_t start = 130, target = 2600;  // segments 130..999, 1000..1999, 2000..2599
    PiecePlan plan{c, 1000, start, target};
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> shapes = {
        {{130, 2470}},                                             // one reply
        {{130, 126}, {256, 1024}, {1280, 1024}, {2304, 296}},      // aligned replies
        {{130, 77}, {207, 1000}, {1207, 3}, {1210, 700}, {1910, 690}},  // odd cuts
    };
    std::vector<std::vector<Sealed>> got;
    for (int packed = 0; packed < 2; ++packed) {
      for (const auto& shape : shapes) {
        std::vector<Batch> batches;
        for (auto [first, count] : shape) batches.push_back(MadeBatch(first, count, packed ? &plan : nullptr));
        if (packed && shape.size() == 4) {
          // [256, 1280): pieces 256.., 512.., 768.., 1000.. (a segment end), 1024..; nothing plain
          EXPECT_EQ(batches[1].packed.size(), 5u);
          EXPECT_TRUE(batches[1].records.empty());
        }
        Committer::Start s = Plan(target);
        s.position = start;
        s.segment_entries = 1000;
        s.range_valid = false;
        s.compression = c;
        sealed.clear();
        ASSERT_TRUE(RunWith(s, std::move(batches)).ok());
        got.push_back(sealed);
      }
    }
    ASSERT_EQ(got[0].size(), 3u);
    std::string all;
    for (const Sealed& x : got[0]) all += *DecompressSegment(x.bytes, c);
    EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), static_cast<long>(target - start));
    for (size_t k = 1; k < got.size(); ++k) {
      ASSERT_EQ(got[k].size(), 3u) << k;
      for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(got[k][i].first, got[0][i].first);
        EXPECT_EQ(got[k][i].last, got[0][i].last);
        EXPECT_TRUE(got[k][i].bytes == got[0][i].bytes) << "shape " << k << " segment " << i;
      }
    }
  }
}

// The decode pool builds each batch a window of entries at a time (BatchBuilder::Add per window):
// whatever the windows, the batch is the one MakeBatch makes of all the entries at once (records,
// line ends, the same pieces with the same bytes, hashes, missing hashes, bad entries), and every
// record is in it exactly once, packed or plain.
TEST(BatchBuilderTest, WindowsGiveTheBatchOfOneMakeBatch) {
  const uint64_t first = 130, count = 2470;
  PiecePlan plan{Compression::kGzip, 1000, 0, 3000};  // cuts at 256-multiples and 1000, 2000
  PiecePlan exact{Compression::kGzip, 1000, 130, 2600};  // and at the batch's first and end
  std::vector<LogEntry> entries(count);
  for (uint64_t i = 0; i < count; ++i) {
    LogEntry& e = entries[i];
    e.index = first + i;
    e.timestamp = 1700000000000 + i;
    e.cert = "not DER " + std::to_string(first + i);
    e.error = i % 5 ? "undecodable (test)" : "";
    e.has_leaf_hash = i % 97 != 3;
    if (e.has_leaf_hash) e.leaf_hash = HashLeaf(testing_fake::FakeLeaf(first + i));
  }
  const PiecePlan* plain = nullptr;
  for (const PiecePlan* p : {plain, static_cast<const PiecePlan*>(&plan), static_cast<const PiecePlan*>(&exact)}) {
    RecordContext rc;
    rc.log_url = "https://log.example/";
    rc.pieces = p;
    const Batch want = MakeBatch(first, entries, rc);
    if (p == &plan) {  // 256..511, .., 768..999, 1000..1023, .., 2304..2559; 130..255, 2560..2599 plain
      ASSERT_EQ(want.packed.size(), 11u);
      EXPECT_EQ(want.line_ends.size(), (256u - 130) + (2600u - 2560));
    } else if (p == &exact) {  // 130..255 to 2560..2599: nothing plain
      ASSERT_EQ(want.packed.size(), 13u);
      EXPECT_TRUE(want.line_ends.empty());
    }
    for (size_t window : {1, 7, 16, 256, 1000, 5000}) {
      BatchBuilder builder(first, rc);
      for (size_t at = 0; at < count; at += window)
        builder.Add(std::span<const LogEntry>(entries).subspan(at, std::min<size_t>(window, count - at)));
      const Batch got = builder.Finish();
      EXPECT_EQ(got.first, want.first) << window;
      EXPECT_EQ(got.count, want.count) << window;
      EXPECT_TRUE(got.records == want.records) << window;
      EXPECT_EQ(got.line_ends, want.line_ends) << window;
      ASSERT_EQ(got.packed.size(), want.packed.size()) << window;
      size_t packed_records = 0;
      for (size_t k = 0; k < want.packed.size(); ++k) {
        EXPECT_EQ(got.packed[k].first, want.packed[k].first) << window << " " << k;
        EXPECT_EQ(got.packed[k].count, want.packed[k].count) << window << " " << k;
        EXPECT_TRUE(got.packed[k].bytes == want.packed[k].bytes) << window << " " << k;
        std::string plain = *DecompressSegment(got.packed[k].bytes, Compression::kGzip);
        packed_records += static_cast<size_t>(std::count(plain.begin(), plain.end(), '\n'));
      }
      EXPECT_EQ(packed_records + got.line_ends.size(), count) << window;
      EXPECT_EQ(got.hashes, want.hashes) << window;
      EXPECT_EQ(got.missing, want.missing) << window;
      EXPECT_EQ(got.bad, want.bad) << window;
    }
    EXPECT_EQ(want.missing.size(), 26u);
    EXPECT_EQ(want.bad, count - count / 5);
  }
}

// A piece cut where this run's segments do not end (another plan) is unpacked, not mis-sealed.
TEST_F(CommitterTest, PieceAcrossASegmentEndIsUnpacked) {
  PiecePlan other{Compression::kGzip, 100000, 0, 3000};  // pieces cut at 256-multiples only
  Committer::Start s = Plan(600);
  s.segment_entries = 300;  // segments 0..299, 300..599: piece 256..511 straddles 300
  s.range_valid = false;
  ASSERT_TRUE(RunWith(s, {MadeBatch(0, 600, &other)}).ok());
  ASSERT_EQ(sealed.size(), 2u);
  std::string plain0, plain1;
  Batch ref = MadeBatch(0, 600, nullptr);
  plain0 = ref.records.substr(0, ref.line_ends[299]);
  plain1 = ref.records.substr(ref.line_ends[299]);
  EXPECT_EQ(*DecompressSegment(sealed[0].bytes, Compression::kGzip), plain0);
  EXPECT_EQ(*DecompressSegment(sealed[1].bytes, Compression::kGzip), plain1);
}

// Sealing by age ends segments where no piece plan expected it: records stay complete and in order.
TEST_F(CommitterTest, AgeSealsWithPackedPieces) {
  PiecePlan plan{Compression::kGzip, 1000, 0, 1000};
  Committer::Start s = Plan(1000);
  s.segment_entries = 1000;
  s.range_valid = false;
  ArrivalClock clock(&counters);
  age_clock = &clock;
  age = std::chrono::seconds(200);
  ASSERT_TRUE(RunWith(s, {MadeBatch(0, 300, &plan), MadeBatch(300, 300, &plan), MadeBatch(600, 400, &plan)}).ok());
  using R = std::vector<std::pair<uint64_t, uint64_t>>;
  EXPECT_EQ(Ranges(sealed), (R{{0, 599}, {600, 999}}));  // 600: not a piece end of the plan
  Batch ref = MadeBatch(0, 1000, nullptr);
  std::string all;
  for (const Sealed& x : sealed) all += *DecompressSegment(x.bytes, Compression::kGzip);
  EXPECT_EQ(all, ref.records);
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
