#include "sync/decode_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "sync/fake_log_for_test.h"

namespace ctdl {
namespace {

using testing_fake::FakeLog;
using testing_fake::FakeLogOptions;

constexpr char kUrl[] = "https://log.example/";

class DecodePoolTest : public ::testing::Test {
 protected:
  DecodePoolTest() : control(&signals), source(NewRfc6962Source(kUrl)) {
    FakeLogOptions o;
    o.size = 1000;
    o.cap = 100;
    log = std::make_unique<FakeLog>(kUrl, o, &clock);
    Scheduler::Config c;
    c.target = 1000;
    c.max_bad_json = 2;
    c.poll = std::chrono::milliseconds(1);
    scheduler = std::make_unique<Scheduler>(c, source.get(), &clock, nullptr, [this] { return control.Stopping(); });
  }
  // The next claim, fetched: its reply with `body` (default: what the fake log serves).
  FetchedReply Reply(std::optional<std::string> body = std::nullopt) {
    clock.Advance(std::chrono::minutes(2));  // past any backoff
    Scheduler::Attempt a = scheduler->TryClaim();
    EXPECT_TRUE(a.claim);
    Scheduler::Claim c = a.claim.value_or(Scheduler::Claim{});
    scheduler->Fetched(c);
    std::string path = "ct/v1/get-entries?start=" + std::to_string(c.start) + "&end=" + std::to_string(c.end - 1);
    return FetchedReply{c, kUrl + path, body ? *body : log->Serve(path).body};
  }

  FakeClock clock;
  std::atomic<int> signals{0};
  RunControl control;
  DownloadCounters n;
  std::unique_ptr<LogSource> source;
  std::unique_ptr<FakeLog> log;
  std::unique_ptr<Scheduler> scheduler;
  ClosableQueue<FetchedReply> in{4};
  ClosableQueue<Batch> out{4};
};

TEST_F(DecodePoolTest, DecodesRepliesIntoBatchesAndReportsAShortReply) {
  DecodePool pool(*source, *scheduler, {0, "bG9n", kUrl}, control, n);
  pool.Start(2, in, out);
  FetchedReply probe = Reply();
  EXPECT_EQ(probe.claim.end, 1000u);  // the probe asks for up to 1024; the fake log's cap is 100
  ASSERT_TRUE(in.Push(std::move(probe)));
  std::optional<Batch> b = out.Pop();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first, 0u);
  EXPECT_EQ(b->count, 100u);
  EXPECT_EQ(b->line_ends.size(), 100u);
  EXPECT_EQ(b->hashes[7], HashLeaf(testing_fake::FakeLeaf(7)));
  EXPECT_EQ(scheduler->Count(Scheduler::State::kDone), 1u);
  EXPECT_EQ(Reply().claim.start, 100u);  // the rest of the short reply went back to the list
  in.Close();
  EXPECT_FALSE(out.Pop());  // the pool closed its output once its input ended
  pool.Join();
  EXPECT_FALSE(control.failed());
}

// The pool makes records while the decoder runs (a window of entries at a time): a reply that turns
// out broken after many good entries still gives no batch at all, and is fetched again.
TEST_F(DecodePoolTest, AReplyBrokenAfterManyGoodEntriesGivesNoBatch) {
  DecodePool pool(*source, *scheduler, {0, "bG9n", kUrl}, control, n);
  pool.Start(1, in, out);
  FetchedReply r = Reply();
  size_t last = r.body.rfind("\"leaf_input\":\"");
  ASSERT_NE(last, std::string::npos);
  r.body.insert(last + 14, "\\q");  // an invalid escape in the 100th entry
  ASSERT_TRUE(in.Push(std::move(r)));
  for (int i = 0; i < 5000 && n.retries.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(n.retries.load(), 1u);
  FetchedReply again = Reply();  // the same range again (the retry), intact
  EXPECT_EQ(again.claim.start, 0u);
  ASSERT_TRUE(in.Push(std::move(again)));
  std::optional<Batch> b = out.Pop();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first, 0u);
  EXPECT_EQ(b->count, 100u);
  EXPECT_EQ(b->line_ends.size(), 100u);
  EXPECT_EQ(b->hashes.size(), 100u);
  EXPECT_EQ(b->hashes[99], HashLeaf(testing_fake::FakeLeaf(99)));
  in.Close();
  EXPECT_FALSE(out.Pop());  // nothing else: the broken reply made no batch
  pool.Join();
  EXPECT_FALSE(control.failed());
}

TEST_F(DecodePoolTest, AnUndecodableReplyIsRetriedThenStopsTheDownload) {
  DecodePool pool(*source, *scheduler, {0, "bG9n", kUrl}, control, n);
  pool.Start(1, in, out);
  ASSERT_TRUE(in.Push(Reply("not json")));
  in.Close();
  EXPECT_FALSE(out.Pop());
  pool.Join();
  EXPECT_EQ(n.retries.load(), 1u);
  EXPECT_FALSE(control.failed());
  EXPECT_EQ(scheduler->Count(Scheduler::State::kPending), 1u);  // to be fetched again

  ClosableQueue<FetchedReply> in2(4);
  ClosableQueue<Batch> out2(4);
  DecodePool again(*source, *scheduler, {0, "bG9n", kUrl}, control, n);
  again.Start(1, in2, out2);
  ASSERT_TRUE(in2.Push(Reply("{\"entries\": 7}")));  // the second bad reply: max_bad_json is 2
  in2.Close();
  EXPECT_FALSE(out2.Pop());
  again.Join();
  ASSERT_TRUE(control.failed());
  EXPECT_EQ(control.FirstError().code(), Code::kCorrupt);
  EXPECT_NE(control.FirstError().message().find("get-entries?start=0"), std::string::npos);
  EXPECT_EQ(scheduler->Count(Scheduler::State::kFailed), 1u);
}

TEST_F(DecodePoolTest, AReplyWithoutEntriesIsRetried) {
  DecodePool pool(*source, *scheduler, {0, "bG9n", kUrl}, control, n);
  pool.Start(1, in, out);
  ASSERT_TRUE(in.Push(Reply("{\"entries\":[]}")));
  in.Close();
  EXPECT_FALSE(out.Pop());
  pool.Join();
  EXPECT_EQ(n.retries.load(), 1u);
  EXPECT_EQ(scheduler->Count(Scheduler::State::kPending), 1u);
  EXPECT_FALSE(control.failed());
}

TEST_F(DecodePoolTest, ACommitterThatStoppedCancelsTheInput) {
  DecodePool pool(*source, *scheduler, {0, "bG9n", kUrl}, control, n);
  out.Cancel();  // the committer is gone
  pool.Start(1, in, out);
  ASSERT_TRUE(in.Push(Reply()));
  pool.Join();  // ends without its input being closed
  EXPECT_TRUE(in.closed());
  EXPECT_FALSE(in.Push(Reply()));  // a fetcher handing over a reply is refused, never blocked
}

}  // namespace
}  // namespace ctdl
