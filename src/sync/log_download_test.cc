#include "sync/log_download.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "sink/memory_archive.h"
#include "sink/segment.h"
#include "store/memory_state_store.h"
#include "sync/fake_log_for_test.h"
#include "sync/log_owner.h"

namespace ctdl {
namespace {

using testing_fake::FakeLog;
using testing_fake::FakeLogOptions;
using testing_fake::FakeRouter;

class NullProgress : public ProgressSink {
 public:
  void Update(const std::vector<LogProgress>&) override { ++updates; }
  void Finish(const std::vector<LogProgress>& logs) override { final = logs; }
  std::atomic<int> updates{0};
  std::vector<LogProgress> final;
};

uint64_t Field(std::string_view line, std::string_view key) {
  std::string k = "\"" + std::string(key) + "\":";
  size_t p = line.find(k);
  if (p == std::string_view::npos) return UINT64_MAX;
  return std::strtoull(std::string(line.substr(p + k.size(), 24)).c_str(), nullptr, 10);
}

struct Archived {
  std::vector<uint64_t> indexes;  // in key order, line order
  std::vector<uint64_t> timestamps;
  size_t objects = 0;
  size_t error_records = 0;
  bool keys_match = true;  // every key's first/last equals its lines' indexes
};

Archived ReadArchive(MemoryArchive& archive, const std::string& url) {
  Archived a;
  for (const auto& [key, data] : archive.Objects()) {
    if (key.rfind(SegmentPrefix(LogSlug(url)), 0) != 0) continue;
    auto name = ParseSegmentKey(key);
    if (!name) continue;  // not a segment (foreign object)
    ++a.objects;
    auto text = DecompressSegment(data, name ? name->compression : Compression::kGzip);
    EXPECT_TRUE(text.ok()) << key;
    if (!text.ok() || !name) continue;
    std::string_view rest = *text;
    uint64_t first = UINT64_MAX, last = 0;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      uint64_t idx = Field(line, "index");
      a.indexes.push_back(idx);
      a.timestamps.push_back(Field(line, "timestamp"));
      if (line.find("\"error\"") != std::string_view::npos &&
          line.find("\"validation\"") == std::string_view::npos)
        ++a.error_records;
      first = std::min(first, idx);
      last = std::max(last, idx);
    }
    if (first != name->first || last != name->last) a.keys_match = false;
  }
  return a;
}

void ExpectExactlyOnce(const Archived& a, uint64_t n) {
  ASSERT_EQ(a.indexes.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(a.indexes[i], i) << "record " << i;
    ASSERT_EQ(a.timestamps[i], 1000 + i) << "record " << i;
  }
  EXPECT_TRUE(a.keys_match);
}

PipelineTuning FastTuning() {
  PipelineTuning t;
  t.poll = std::chrono::milliseconds(2);
  return t;
}

class LogDownloadTest : public ::testing::Test {
 protected:
  LogDownloadTest() {
    options.segment_entries = 1000;
    options.max_inflight = 8;
    ctx.store = store.get();
    ctx.archive = archive.get();
    ctx.http = &router;
    ctx.clock = &clock;
    ctx.stop_signals = &stop;
    ctx.progress = &progress;
  }
  FakeLog* AddLog(FakeLogOptions o, std::string url = "https://log.example/ct/") {
    logs.push_back(std::make_unique<FakeLog>(url, o, &clock));
    router.Add(logs.back().get());
    return logs.back().get();
  }
  Status Run(FakeLog* log, PipelineTuning t = FastTuning()) {
    TokenBucket bucket(options.max_rps);
    LogDownload d(log->url(), options, ctx, &bucket, t);
    Status s = d.Run();
    last = d.Snapshot();
    return s;
  }
  Status Register(FakeLog* log) {  // a new state row at position 0 (no designated initializer:
    LogState s;                      // GCC 12 warns about the fields it leaves out)
    s.url = log->url();
    return store->Register({s}, false);
  }
  LogState State(const std::string& url) {
    auto s = store->Get(url);
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? **s : LogState{};
  }

  FakeClock clock;
  std::unique_ptr<StateStore> store = NewMemoryStateStore();
  std::unique_ptr<MemoryArchive> archive = NewMemoryArchive();
  FakeRouter router;
  std::vector<std::unique_ptr<FakeLog>> logs;
  std::atomic<int> stop{0};
  NullProgress progress;
  DownloadOptions options;
  DownloadContext ctx;
  LogProgress last;
};

TEST_F(LogDownloadTest, CleanLogExactlyOnceInOrderAndVerified) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  ASSERT_TRUE(Run(log).ok());
  Archived a = ReadArchive(*archive, log->url());
  ExpectExactlyOnce(a, 2500);
  EXPECT_EQ(a.objects, 3u);  // [0,999] [1000,1999] [2000,2499]
  LogState st = State(log->url());
  EXPECT_EQ(st.position, 2500u);
  EXPECT_EQ(st.verified_size, 2500u);
  EXPECT_EQ(st.tree_size, 2500u);
  auto range = CompactRange::Parse(st.compact_range);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->size(), 2500u);
  EXPECT_EQ(last.status, "complete");
  EXPECT_EQ(last.committed, 2500u);
  // Running again does nothing and changes nothing.
  size_t before = log->Requests().size();
  ASSERT_TRUE(Run(log).ok());
  EXPECT_EQ(log->Requests().size(), before);
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 2500);
}

TEST_F(LogDownloadTest, DiscoversCapAndAlignsRequests) {
  FakeLogOptions o;
  o.size = 3000;
  o.cap = 256;
  o.align = true;
  FakeLog* log = AddLog(o);
  // Resume from an unaligned position: [0, 100) already committed.
  ASSERT_TRUE(Register(log).ok());
  CompactRange r;
  for (uint64_t i = 0; i < 100; ++i) r.Append(HashLeaf(testing_fake::FakeLeaf(i)));
  ASSERT_TRUE(store->Advance(log->url(), 0, Progress{100, 0, r.Serialize()}).ok());
  options.segment_entries = 100000;
  PipelineTuning t = FastTuning();
  t.start_doubling = std::chrono::milliseconds(0);  // probes one at a time from the first request
  ASSERT_TRUE(Run(log, t).ok());
  auto reqs = log->Requests();
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].start, 100u);
  EXPECT_EQ(reqs[0].served, 156u);  // up to the log's 256 boundary
  // After discovery every request asks for at most the cap and ends on a multiple of it (or the end).
  for (size_t i = 2; i < reqs.size(); ++i) {
    EXPECT_LE(reqs[i].end - reqs[i].start, 256u) << i;
    EXPECT_TRUE(reqs[i].end % 256 == 0 || reqs[i].end == 3000) << reqs[i].start << "-" << reqs[i].end;
  }
  Archived a = ReadArchive(*archive, log->url());
  ASSERT_EQ(a.indexes.size(), 2900u);
  for (uint64_t i = 0; i < 2900; ++i) ASSERT_EQ(a.indexes[i], 100 + i);
  EXPECT_EQ(State(log->url()).verified_size, 3000u);
}

TEST_F(LogDownloadTest, FaultyLogStillExactlyOnce) {
  FakeLogOptions o;
  o.size = 6000;
  o.cap = 128;
  o.p429 = 0.1;
  o.retry_after_secs = 1;
  o.p5xx = 0.1;
  o.pbad_json = 0.05;
  o.pshort = 0.2;
  o.pempty = 0.05;
  o.ptransport = 0.05;
  o.surplus = 3;
  o.seed = 7;
  FakeLog* log = AddLog(o);
  PipelineTuning t = FastTuning();
  t.max_attempts = 50;
  t.max_bad_json = 20;
  ASSERT_TRUE(Run(log, t).ok());
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 6000);
  EXPECT_EQ(State(log->url()).position, 6000u);
  EXPECT_GT(last.retries, 0u);
  EXPECT_GT(last.throttled, 0u);
  EXPECT_LE(log->MaxInflight(), options.max_inflight);
}

TEST_F(LogDownloadTest, RetryAfterHonouredInBothForms) {
  for (bool date : {false, true}) {
    SCOPED_TRACE(date ? "HTTP-date" : "seconds");
    FakeLogOptions o;
    o.size = 300;
    o.p429 = 0.3;
    o.retry_after_secs = 7;
    o.retry_after_date = date;
    FakeLog* log = AddLog(o, date ? "https://date.example/" : "https://secs.example/");
    options.max_inflight = 1;  // one worker: only its own waits move the fake clock
    ASSERT_TRUE(Run(log).ok());
    auto reqs = log->Requests();
    int checked = 0;
    for (size_t i = 0; i + 1 < reqs.size(); ++i) {
      if (reqs[i].status != 429) continue;
      ++checked;
      // The next request (for the same start) waits at least Retry-After.
      EXPECT_GE(reqs[i + 1].at - reqs[i].at, std::chrono::seconds(date ? 6 : 7));
    }
    EXPECT_GT(checked, 0);
    ExpectExactlyOnce(ReadArchive(*archive, log->url()), 300);
  }
}

// A throttled range waits out its Retry-After without holding a request slot: the other ranges are
// fetched meanwhile (claiming it again at once stalled every slot for a second after a burst of 429s
// at a rate-limited log: issue 18).
TEST_F(LogDownloadTest, ThrottledRangeWaitsWithoutHoldingASlot) {
  FakeLogOptions o;
  o.size = 1000;
  FakeLog* log = AddLog(o, "https://throttled.example/");
  std::atomic<int> throttled{0};
  log->hook = [&](uint64_t start, uint64_t) -> std::optional<HttpResponse> {
    if (start != 300 || throttled++ > 0) return std::nullopt;
    HttpResponse r;
    r.status = 429;
    r.headers.push_back({"retry-after", "1"});
    return r;
  };
  options.max_inflight = 1;  // one worker: the order of its requests is the order of its claims
  ASSERT_TRUE(Run(log).ok());
  auto reqs = log->Requests();
  auto it = std::find_if(reqs.begin(), reqs.end(), [](auto& r) { return r.status == 429; });
  ASSERT_NE(it, reqs.end());
  ASSERT_NE(it + 1, reqs.end());
  EXPECT_NE((it + 1)->start, 300u) << "the next claim should be a range that is due";
  auto retry = std::find_if(it + 1, reqs.end(), [](auto& r) { return r.start == 300; });
  ASSERT_NE(retry, reqs.end());
  EXPECT_GE(retry->at - it->at, std::chrono::seconds(1));
  EXPECT_GT(retry - it, 1);
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 1000);
}

TEST_F(LogDownloadTest, AimdGrowsAndHalves) {
  Aimd a(2, 10);
  EXPECT_EQ(a.limit(), 2);
  for (int i = 0; i < 20; ++i) a.OnSuccess();
  EXPECT_EQ(a.limit(), 10);
  a.OnCongestion();
  EXPECT_EQ(a.limit(), 5);
  for (int i = 0; i < 10; ++i) a.OnCongestion();
  EXPECT_EQ(a.limit(), 1);
  a.OnSuccess();
  EXPECT_EQ(a.limit(), 2);
}

TEST_F(LogDownloadTest, ConcurrencyStartsSmallAndStaysUnderMax) {
  FakeLogOptions o;
  o.size = 4000;
  o.cap = 50;
  FakeLog* log = AddLog(o);
  std::atomic<int> concurrent{0}, peak{0}, first_peak{0}, calls{0};
  log->hook = [&](uint64_t, uint64_t) -> std::optional<HttpResponse> {
    int c = ++concurrent;
    int p = peak.load();
    while (c > p && !peak.compare_exchange_weak(p, c)) {}
    if (++calls <= 3) first_peak = std::max(first_peak.load(), c);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    --concurrent;
    return std::nullopt;
  };
  options.max_inflight = 6;
  PipelineTuning t = FastTuning();
  t.start_doubling = std::chrono::milliseconds(0);  // AIMD from the first request (no start ramp)
  ASSERT_TRUE(Run(log, t).ok());
  EXPECT_LE(peak.load(), 6);
  EXPECT_LE(first_peak.load(), 2);  // starts small
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 4000);
}

// A host with no known rate (Scheduler::Config::start_doubling): one request at first contact (a far
// host's first reply may take 100 ms; nothing else is sent meanwhile), then 1 + up to 5 per success in
// flight on a time schedule (10 ms doublings of the fake clock, which the waiting fetcher advances):
// requests 2-5 (and more) at once after the first reply, where AIMD alone has 3. Exactly once.
// (The schedule itself: start_ramp_test.cc.)
TEST_F(LogDownloadTest, StartRampSendsOneFirstThenFourAtOnce) {
  FakeLogOptions o;
  o.size = 8000;
  o.cap = 50;
  FakeLog* log = AddLog(o);
  std::atomic<int> calls{0}, concurrent{0}, sent_during_first{0}, at_fifth{0};
  std::atomic<bool> first_done{false};
  log->hook = [&](uint64_t, uint64_t) -> std::optional<HttpResponse> {
    int n = ++calls, c = ++concurrent;
    if (n > 1 && !first_done) ++sent_during_first;
    if (n == 5) at_fifth = c;
    if (n <= 5) std::this_thread::sleep_for(std::chrono::milliseconds(150));  // long enough on any machine
    if (n == 1) first_done = true;
    --concurrent;
    return std::nullopt;
  };
  options.max_inflight = 6;
  ASSERT_TRUE(Run(log).ok());
  EXPECT_EQ(sent_during_first.load(), 0);
  EXPECT_EQ(at_fifth.load(), 4);  // requests 2-5 together (AIMD alone: 3)
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 8000);
}

TEST_F(LogDownloadTest, CommitsOnlyAfterPut) {
  FakeLogOptions o;
  o.size = 3500;
  FakeLog* log = AddLog(o);
  std::string url = log->url();
  int puts = 0;
  archive->SetHook([&](MemoryArchive::Op op, const std::string& key) {
    auto name = ParseSegmentKey(key);
    if (op != MemoryArchive::Op::kPut || !name) return Status::Ok();  // not the manifest
    ++puts;
    auto st = store->Get(url);
    // While a segment is being written, the state must still be at its first index.
    EXPECT_TRUE(name && st.ok() && st->has_value() && (*st)->position == name->first) << key;
    if (puts == 3) return IoError("disk full (injected)");
    return Status::Ok();
  });
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kIo);
  EXPECT_EQ(State(url).position, 2000u);  // two segments durable, the third failed
  EXPECT_EQ(ReadArchive(*archive, url).indexes.size(), 2000u);
  archive->SetHook(nullptr);
  ASSERT_TRUE(Run(log).ok());
  ExpectExactlyOnce(ReadArchive(*archive, url), 3500);
}

TEST_F(LogDownloadTest, StartupKeepsSegmentsItDidNotRecordAndStops) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  std::string slug = LogSlug(log->url());
  ASSERT_TRUE(Register(log).ok());
  // Segments past the (zero) position that this state never recorded writing (another state store,
  // a lost state): kept, reported, and nothing is written.
  std::string a = SegmentKey(slug, 0, 999, Compression::kGzip);
  std::string b = SegmentKey(slug, 1000, 1499, Compression::kZstd);
  ASSERT_TRUE(archive->Put(a, "theirs").ok());
  ASSERT_TRUE(archive->Put(b, "theirs").ok());
  ASSERT_TRUE(archive->Put(slug + "/README", "keep me").ok());
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("adopt-archive"), std::string::npos) << s.message();
  auto objects = archive->Objects();
  EXPECT_EQ(objects.size(), 4u);  // the three above and the manifest
  EXPECT_EQ(objects[a], "theirs");
  EXPECT_EQ(objects[b], "theirs");
  EXPECT_EQ(State(log->url()).position, 0u);
  EXPECT_EQ(store->GetLease(log->url())->owner, "");  // released
}

TEST_F(LogDownloadTest, StartupRemovesOnlyTheRecordedPendingWrite) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  std::string url = log->url(), slug = LogSlug(url);
  ASSERT_TRUE(Register(log).ok());
  // An earlier owner recorded its write, Put it and died before the Advance.
  std::string key = SegmentKey(slug, 0, 999, Compression::kGzip);
  auto lease = store->AcquireLease(url, "gone:1:x", 0, 1);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(store->RecordPendingWrite(url, *lease, FormatPendingWrite(key, "half")).ok());
  ASSERT_TRUE(archive->Put(key, "half").ok());
  ASSERT_TRUE(archive->Put(slug + "/README", "keep me").ok());
  ASSERT_TRUE(Run(log).ok());  // the lease expired long ago: taken over
  ExpectExactlyOnce(ReadArchive(*archive, url), 2500);
  EXPECT_EQ(archive->Objects().count(slug + "/README"), 1u);
  EXPECT_EQ(State(url).pending_write, "");
  EXPECT_EQ(store->GetLease(url)->counter, 2u);
}

TEST_F(LogDownloadTest, PendingWriteWithOtherBytesIsKept) {
  FakeLogOptions o;
  o.size = 1500;
  FakeLog* log = AddLog(o);
  std::string url = log->url(), slug = LogSlug(url);
  ASSERT_TRUE(Register(log).ok());
  std::string key = SegmentKey(slug, 0, 999, Compression::kGzip);
  auto lease = store->AcquireLease(url, "gone:1:x", 0, 1);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(store->RecordPendingWrite(url, *lease, FormatPendingWrite(key, "what we wrote")).ok());
  ASSERT_TRUE(archive->Put(key, "someone else's").ok());  // not the recorded bytes: not provably ours
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_EQ(archive->Objects()[key], "someone else's");
}

TEST_F(LogDownloadTest, LeaseHeldByAnotherProcessRefusesAndWritesNothing) {
  FakeLogOptions o;
  o.size = 1500;
  FakeLog* log = AddLog(o);
  std::string url = log->url();
  ASSERT_TRUE(Register(log).ok());
  int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch()).count();
  ASSERT_TRUE(store->AcquireLease(url, "elsewhere:42:abc", now, 60000).ok());
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_NE(s.message().find("elsewhere:42:abc"), std::string::npos) << s.message();
  EXPECT_TRUE(archive->Objects().empty());
  EXPECT_EQ(store->GetLease(url)->owner, "elsewhere:42:abc");
}

TEST_F(LogDownloadTest, LeaseLostMidRunCommitsNothingMore) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  std::string url = log->url(), slug = LogSlug(url);
  archive->SetHook([&](MemoryArchive::Op op, const std::string& key) {
    auto name = ParseSegmentKey(key);
    if (op == MemoryArchive::Op::kPut && name && name->first == 1000) {
      // Another process takes the lease over (as if ours had expired while we stalled).
      auto held = store->GetLease(url);
      EXPECT_TRUE(store->AcquireLease(url, "thief:1:x", 0, 1, held->owner).ok());
    }
    return Status::Ok();
  });
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("thief:1:x"), std::string::npos) << s.message();
  EXPECT_EQ(State(url).position, 1000u);
  archive->SetHook(nullptr);
  ASSERT_TRUE(Run(log).ok());  // thief's lease (expiry 1 ms) is free: our pending write is removed
  ExpectExactlyOnce(ReadArchive(*archive, url), 2500);
}

TEST_F(LogDownloadTest, StraddlingObjectIsReportedNotDeleted) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  std::string slug = LogSlug(log->url());
  ASSERT_TRUE(Register(log).ok());
  ASSERT_TRUE(store->Advance(log->url(), 0, Progress{200, 0, ""}).ok());
  std::string key = SegmentKey(slug, 150, 249, Compression::kGzip);
  ASSERT_TRUE(archive->Put(key, "x").ok());
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find(key), std::string::npos);
  EXPECT_EQ(archive->Objects().count(key), 1u);
  EXPECT_EQ(State(log->url()).position, 200u);
}

TEST_F(LogDownloadTest, CompareAndSetConflictStops) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  std::string url = log->url();
  archive->SetHook([&](MemoryArchive::Op op, const std::string&) {
    if (op == MemoryArchive::Op::kPut) {
      auto st = store->Get(url);
      if (st.ok() && st->has_value() && (*st)->position == 1000)  // someone else advances
        (void)store->Advance(url, 1000, Progress{1700, 0, ""});
    }
    return Status::Ok();
  });
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_NE(s.message().find("another process"), std::string::npos) << s.message();
  EXPECT_EQ(State(url).position, 1700u);  // untouched by us
}

TEST_F(LogDownloadTest, StopSignalFlushesAndCommitsContiguousRecords) {
  FakeLogOptions o;
  o.size = 50000;
  o.cap = 100;
  FakeLog* log = AddLog(o);
  std::atomic<int> calls{0};
  log->hook = [&](uint64_t, uint64_t) -> std::optional<HttpResponse> {
    if (++calls == 25) stop = 1;
    return std::nullopt;
  };
  options.segment_entries = 100000;
  ASSERT_TRUE(Run(log).ok());
  LogState st = State(log->url());
  Archived a = ReadArchive(*archive, log->url());
  EXPECT_GT(st.position, 0u);
  EXPECT_LT(st.position, 50000u);
  ASSERT_EQ(a.indexes.size(), st.position);  // committed position == last record written + 1
  EXPECT_EQ(a.indexes.back(), st.position - 1);
  EXPECT_EQ(last.status, "stopped at " + std::to_string(st.position));
  // Resuming completes it, still exactly once.
  stop = 0;
  log->hook = nullptr;
  ASSERT_TRUE(Run(log).ok());
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 50000);
}

TEST_F(LogDownloadTest, SignalBeforeStartIsACleanStop) {
  FakeLogOptions o;
  o.size = 500;
  FakeLog* log = AddLog(o);
  stop = 1;
  ASSERT_TRUE(Run(log).ok());
  EXPECT_EQ(last.status, "stopped before the tree head was read");
  EXPECT_TRUE(log->Requests().empty());
  EXPECT_EQ(ReadArchive(*archive, log->url()).objects, 0u);  // no segment (manifest and claim only)
  EXPECT_EQ(archive->Objects().size(), 2u);
}

TEST_F(LogDownloadTest, RootMismatchStopsWithoutCommittingPastLastGood) {
  FakeLogOptions o;
  o.size = 2500;
  o.wrong_root = true;
  FakeLog* log = AddLog(o);
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kVerifyFailed);
  EXPECT_NE(s.message().find("signed tree head says"), std::string::npos);
  LogState st = State(log->url());
  EXPECT_EQ(st.position, 2000u);  // the last segment (which holds the mismatch) was not committed
  EXPECT_EQ(st.verified_size, 0u);
  EXPECT_EQ(ReadArchive(*archive, log->url()).indexes.size(), 2000u);
}

TEST_F(LogDownloadTest, GarbageEntriesBecomeCountedErrorRecords) {
  FakeLogOptions o;
  o.size = 1500;
  o.garbage = {3, 777, 1499};
  FakeLog* log = AddLog(o);
  ASSERT_TRUE(Run(log).ok());
  Archived a = ReadArchive(*archive, log->url());
  ASSERT_EQ(a.indexes.size(), 1500u);
  for (uint64_t i = 0; i < 1500; ++i) ASSERT_EQ(a.indexes[i], i);
  EXPECT_EQ(a.error_records, 3u);
  EXPECT_EQ(last.bad_entries, 3u);
  EXPECT_EQ(State(log->url()).position, 1500u);
}

TEST_F(LogDownloadTest, LaggingBackend400IsRetried) {
  FakeLogOptions o;
  o.size = 1000;
  FakeLog* log = AddLog(o);
  std::atomic<int> lag{5};
  log->hook = [&](uint64_t start, uint64_t) -> std::optional<HttpResponse> {
    if (start >= 900 && lag-- > 0) {
      HttpResponse r;
      r.status = 400;
      return r;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(Run(log).ok());
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 1000);
  EXPECT_GE(last.retries, 5u);
}

TEST_F(LogDownloadTest, MalformedJsonForeverIsReportedWithUrl) {
  FakeLogOptions o;
  o.size = 1000;
  o.pbad_json = 1.0;
  FakeLog* log = AddLog(o);
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kCorrupt);
  EXPECT_NE(s.message().find("get-entries?start=0"), std::string::npos) << s.message();
  EXPECT_EQ(State(log->url()).position, 0u);
}

TEST_F(LogDownloadTest, EndStopsAtIndex) {
  FakeLogOptions o;
  o.size = 2000;
  FakeLog* log = AddLog(o);
  options.end = 1234;
  ASSERT_TRUE(Run(log).ok());
  ExpectExactlyOnce(ReadArchive(*archive, log->url()), 1234);
  LogState st = State(log->url());
  EXPECT_EQ(st.position, 1234u);
  EXPECT_EQ(st.verified_size, 0u);  // no signed head at 1234
}

TEST_F(LogDownloadTest, RunDownloadTwoLogsConcurrently) {
  FakeLogOptions o;
  o.size = 1200;
  FakeLog* a = AddLog(o, "https://a.example/log/");
  o.size = 900;
  o.cap = 64;
  FakeLog* b = AddLog(o, "https://b.example/log/");
  options.urls = {"https://a.example/log", "https://b.example/log/"};
  options.progress_interval = 0.001;
  ASSERT_TRUE(RunDownload(options, ctx).ok());
  ExpectExactlyOnce(ReadArchive(*archive, a->url()), 1200);
  ExpectExactlyOnce(ReadArchive(*archive, b->url()), 900);
  ASSERT_EQ(progress.final.size(), 2u);
  EXPECT_EQ(progress.final[0].status, "complete");
  EXPECT_EQ(progress.final[1].status, "complete");
}

TEST(TokenBucketTest, PacesRequests) {
  TokenBucket b(2);  // 2 per second, burst 2
  SteadyTime t{};
  EXPECT_EQ(b.Reserve(t), Duration::zero());
  EXPECT_EQ(b.Reserve(t), Duration::zero());
  EXPECT_EQ(b.Reserve(t), std::chrono::milliseconds(500));  // nothing taken: ask again then
  EXPECT_EQ(b.Reserve(t), std::chrono::milliseconds(500));
  EXPECT_EQ(b.Reserve(t + std::chrono::milliseconds(500)), Duration::zero());
  EXPECT_EQ(b.Reserve(t + std::chrono::seconds(10)), Duration::zero());
  TokenBucket unlimited(0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(unlimited.Reserve(t), Duration::zero());
}

TEST_F(LogDownloadTest, RefusesALogWithChunkItemsAfterTakingItsLease) {
  FakeLogOptions o;
  o.size = 2500;
  FakeLog* log = AddLog(o);
  std::string url = log->url();
  ASSERT_TRUE(Register(log).ok());
  // A distributed worker leased a chunk (after the plain download's early check, before its lease):
  // the check made under the lease sees it, and nothing is written.
  Chunk c;
  c.url = url;
  c.index = 1;
  c.size = 1024;
  c.position = 1024;
  c.state = ChunkState::kLeased;
  c.owner = "elsewhere:1:x";
  c.expires_at = 4102444800;
  ASSERT_TRUE(store->PutChunk(c, 0).ok());
  Status s = Run(log);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("--distributed"), std::string::npos) << s.message();
  for (const auto& [key, data] : archive->Objects()) EXPECT_FALSE(ParseSegmentKey(key)) << key;
  EXPECT_EQ(State(url).position, 0u);
  EXPECT_EQ(store->GetLease(url)->owner, "");  // released
}

}  // namespace
}  // namespace ctdl
