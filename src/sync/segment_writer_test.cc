#include "sync/segment_writer.h"

#include <gtest/gtest.h>

#include <thread>

#include "sink/memory_archive.h"
#include "store/memory_state_store.h"
#include "sync/archive_claim.h"

namespace ctdl {
namespace {

const char kUrl[] = "https://log.example/";

SealedSegment Segment(uint64_t first, uint64_t count) {
  SealedSegment s;
  s.segment = SegmentBuilder(first);
  for (uint64_t i = first; i < first + count; ++i)
    s.segment.Add("{\"index\":" + std::to_string(i) + "}");
  return s;
}

class SegmentWriterTest : public ::testing::Test {
 protected:
  SegmentWriterTest() {
    ctx.store = store.get();
    ctx.archive = archive.get();
    EXPECT_TRUE(store->Register({LogState{.url = kUrl}}, false).ok());
  }
  // Writes `segments` through a SegmentWriter on its own thread, as the pipeline does.
  Status WriteAll(std::vector<SealedSegment> segments, bool* all_pushed = nullptr,
                  const ArchiveClaim* claim = nullptr) {
    SegmentWriter w({kUrl, LogSlug(kUrl), Compression::kGzip, nullptr, nullptr, claim}, ctx, &verifier,
                    &control, &counters);
    ClosableQueue<SealedSegment> q(1);
    Status result;
    std::thread t([&] { result = w.Run(q); });
    bool pushed = true;
    for (SealedSegment& s : segments) pushed = q.Push(std::move(s)) && pushed;
    q.Close();
    t.join();
    if (all_pushed) *all_pushed = pushed;
    return result;
  }
  uint64_t Position() {
    auto s = store->Get(kUrl);
    return s.ok() && s->has_value() ? (*s)->position : UINT64_MAX;
  }

  std::unique_ptr<StateStore> store = NewMemoryStateStore();
  std::unique_ptr<MemoryArchive> archive = NewMemoryArchive();
  DownloadContext ctx;
  DownloadVerifier verifier;  // not started: verification off
  RunControl control{nullptr};
  DownloadCounters counters;
};

TEST_F(SegmentWriterTest, PutsThenAdvancesInOrder) {
  std::vector<uint64_t> position_at_put;
  archive->SetHook([&](MemoryArchive::Op op, const std::string&) {
    if (op == MemoryArchive::Op::kPut) position_at_put.push_back(Position());
    return Status::Ok();
  });
  ASSERT_TRUE(WriteAll({Segment(0, 10), Segment(10, 5)}).ok());
  EXPECT_EQ(position_at_put, (std::vector<uint64_t>{0, 10}));  // committed only after each Put
  EXPECT_EQ(Position(), 15u);
  EXPECT_EQ(counters.committed.load(), 15u);
  EXPECT_EQ(counters.segments.load(), 2u);
  EXPECT_GT(counters.bytes_out.load(), 0u);
  std::string slug = LogSlug(kUrl);
  EXPECT_EQ(archive->Objects().count(SegmentKey(slug, 0, 9, Compression::kGzip)), 1u);
  EXPECT_EQ(archive->Objects().count(SegmentKey(slug, 10, 14, Compression::kGzip)), 1u);
  EXPECT_FALSE(control.failed());
}

TEST_F(SegmentWriterTest, FailedPutStopsAndCommitsNothingMore) {
  int puts = 0;
  archive->SetHook([&](MemoryArchive::Op op, const std::string&) {
    if (op == MemoryArchive::Op::kPut && ++puts == 2) return IoError("disk full (injected)");
    return Status::Ok();
  });
  bool all_pushed = true;
  Status s = WriteAll({Segment(0, 10), Segment(10, 10), Segment(20, 10), Segment(30, 10)}, &all_pushed);
  EXPECT_EQ(s.code(), Code::kIo);
  EXPECT_EQ(Position(), 10u);
  EXPECT_EQ(puts, 2);           // nothing after the failure was written
  EXPECT_FALSE(all_pushed);     // the committer's pushes are refused
  EXPECT_TRUE(control.failed());
  EXPECT_EQ(control.FirstError().code(), Code::kIo);
}

TEST_F(SegmentWriterTest, PositionMovedByAnotherWriterIsAConflict) {
  ASSERT_TRUE(store->Advance(kUrl, 0, Progress{7, 0, ""}).ok());  // someone else, meanwhile
  Status s = WriteAll({Segment(0, 10)});
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_NE(s.message().find("another process"), std::string::npos) << s.message();
  EXPECT_EQ(Position(), 7u);
}

TEST_F(SegmentWriterTest, SegmentOverlappingAnotherWritersIsNotCommitted) {
  // A ctdl with another state store writes the same log into this archive, in segments of 300.
  std::string slug = LogSlug(kUrl);
  std::string theirs = SegmentKey(slug, 0, 299, Compression::kGzip);
  std::string far = SegmentKey(slug, 5000, 5299, Compression::kGzip);
  ASSERT_TRUE(archive->Put(far, "theirs, far away").ok());  // no overlap: not in the way
  int puts = 0;
  archive->SetHook([&](MemoryArchive::Op op, const std::string& key) {
    if (op == MemoryArchive::Op::kPut && key != theirs && ++puts == 2) {  // theirs lands meanwhile
      EXPECT_TRUE(archive->Put(theirs, "theirs").ok());
    }
    return Status::Ok();
  });
  Status s = WriteAll({Segment(0, 10), Segment(10, 500)});  // [0, 9] commits, [10, 509] overlaps theirs
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("another state store"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(theirs), std::string::npos) << s.message();
  EXPECT_EQ(Position(), 10u);  // the overlapping segment is not committed
  EXPECT_EQ(archive->Objects()[theirs], "theirs");
  EXPECT_EQ(archive->Objects()[far], "theirs, far away");
}

TEST_F(SegmentWriterTest, AFolderTakenOverByAnotherStateStoreCommitsNothingMore) {
  FakeClock clock;
  std::string slug = LogSlug(kUrl);
  ArchiveClaim ours(archive.get(), &clock, slug, kUrl, IdentifyWriter(*store, "memory:a").value());
  ASSERT_TRUE(ours.Claim(1, "download").ok());
  auto other = NewMemoryStateStore();
  ArchiveClaim theirs(archive.get(), &clock, slug, kUrl, IdentifyWriter(*other, "memory:b").value());
  int puts = 0;
  archive->SetHook([&](MemoryArchive::Op op, const std::string& key) {
    if (op == MemoryArchive::Op::kPut && key.find(".jsonl") != std::string::npos && ++puts == 2) {
      EXPECT_TRUE(theirs.TakeOver("adopt-archive", std::chrono::milliseconds(0)).ok());  // meanwhile
    }
    return Status::Ok();
  });
  Status s = WriteAll({Segment(0, 10), Segment(10, 500)}, nullptr, &ours);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("not committing " + SegmentKey(slug, 10, 509, Compression::kGzip)),
            std::string::npos) << s.message();
  EXPECT_NE(s.message().find("took the archive folder"), std::string::npos) << s.message();
  EXPECT_EQ(Position(), 10u);
}

}  // namespace
}  // namespace ctdl
