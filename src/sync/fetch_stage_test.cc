#include "sync/fetch_stage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

namespace ctdl {
namespace {

// Answers every request with 200 "tile:<url>" unless `answer` says otherwise for that request.
class ScriptedHttp : public HttpClient {
 public:
  // call: how many requests for this URL came before this one.
  std::function<std::optional<HttpResponse>(const HttpRequest&, int call)> answer;
  HttpResponse Fetch(const HttpRequest& req) override {
    int call;
    {
      std::lock_guard<std::mutex> l(mu_);
      call = calls_[req.url]++;
    }
    if (answer)
      if (auto r = answer(req, call)) return *r;
    HttpResponse r;
    r.status = 200;
    r.body = "tile:" + req.url;
    return r;
  }
  int Calls(const std::string& url) {
    std::lock_guard<std::mutex> l(mu_);
    return calls_[url];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

HttpResponse Status(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

constexpr char kUrl[] = "https://tiles.example/";

class FetchStageTest : public ::testing::Test {
 protected:
  FetchStageTest() : control(&signals) {
    source = NewTiledSource(kUrl);
    source->SetTreeSize(1000);  // tiles 0-2 full, tile 3 partial
    Scheduler::Config c;
    c.target = 1000;
    c.initial_inflight = 4;
    c.max_inflight = 4;
    c.poll = std::chrono::milliseconds(1);
    scheduler = std::make_unique<Scheduler>(c, source.get(), &clock, &bucket, [this] { return control.Stopping(); });
  }
  FetchStage::Config Config() {
    FetchStage::Config c;
    c.poll = std::chrono::milliseconds(1);
    c.stopping = [this] { return control.Stopping(); };
    return c;
  }
  // Runs the stage with `threads` fetchers; a consumer takes every reply and reports it decoded in
  // full (the decode pool's part). Returns the replies by start.
  std::map<uint64_t, FetchedReply> RunStage(int threads) { return RunStage(threads, Config()); }
  std::map<uint64_t, FetchedReply> RunStage(int threads, FetchStage::Config config) {
    FetchStage stage(std::move(config), *source, *scheduler, http, clock, bucket, control, n);
    ClosableQueue<FetchedReply> out(2);
    std::map<uint64_t, FetchedReply> got;
    stage.Start(threads, out);
    while (std::optional<FetchedReply> r = out.Pop()) {  // ends when the stage closes it
      EXPECT_EQ(got.count(r->claim.start), 0u) << r->claim.start;
      scheduler->Decoded(r->claim, r->claim.end - r->claim.start);
      got[r->claim.start] = std::move(*r);
    }
    stage.Join();
    return got;
  }

  FakeClock clock;
  std::atomic<int> signals{0};
  RunControl control;
  TokenBucket bucket{0};
  DownloadCounters n;
  ScriptedHttp http;
  std::unique_ptr<LogSource> source;
  std::unique_ptr<Scheduler> scheduler;
};

TEST_F(FetchStageTest, FetchesEveryRangeOnceAndClosesItsOutput) {
  std::map<uint64_t, FetchedReply> got = RunStage(3);
  ASSERT_EQ(got.size(), 4u);
  uint64_t next = 0, bytes = 0;
  for (const auto& [start, r] : got) {
    EXPECT_EQ(start, next);
    EXPECT_EQ(r.body, "tile:" + r.url);
    next = r.claim.end;
    bytes += r.body.size();
  }
  EXPECT_EQ(next, 1000u);
  EXPECT_EQ(got[768].url, std::string(kUrl) + "tile/data/003.p/232");
  EXPECT_EQ(n.retries.load(), 0u);
  EXPECT_EQ(n.bytes_in.load(), bytes);
  EXPECT_FALSE(control.failed());
}

TEST_F(FetchStageTest, TheLastClaimIsAnnouncedOnceJustBeforeItIsSent) {
  const std::string last = std::string(kUrl) + "tile/data/003.p/232";
  http.answer = [&](const HttpRequest& req, int call) -> std::optional<HttpResponse> {
    if (req.url == last && call == 0) return Status(503);  // sent twice, announced once
    return std::nullopt;
  };
  std::atomic<int> announced{0}, sent_before{-1};
  FetchStage::Config c = Config();
  c.last_end = 1000;
  c.on_last_claim = [&] {
    ++announced;
    sent_before = http.Calls(last);
  };
  std::map<uint64_t, FetchedReply> got = RunStage(3, c);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(announced, 1);
  EXPECT_EQ(sent_before, 0);
  EXPECT_EQ(http.Calls(last), 2);
}

TEST_F(FetchStageTest, RetriesAServerErrorAndAThrottledRange) {
  const std::string tile1 = std::string(kUrl) + "tile/data/001";
  http.answer = [&](const HttpRequest& req, int call) -> std::optional<HttpResponse> {
    if (req.url != tile1 || call >= 2) return std::nullopt;
    if (call == 0) return Status(503);
    HttpResponse r = Status(429);
    r.headers.push_back({"retry-after", "2"});
    return r;
  };
  SteadyTime t0 = clock.Now();
  std::map<uint64_t, FetchedReply> got = RunStage(2);
  EXPECT_EQ(got.size(), 4u);
  EXPECT_EQ(http.Calls(tile1), 3);
  EXPECT_EQ(n.retries.load(), 1u);
  EXPECT_EQ(n.throttled.load(), 1u);
  EXPECT_GE(clock.Now() - t0, std::chrono::seconds(2));  // the Retry-After was waited (on the clock)
  EXPECT_FALSE(control.failed());
}

TEST_F(FetchStageTest, AFatalReplyStopsTheDownloadWithItsUrl) {
  http.answer = [&](const HttpRequest& req, int) -> std::optional<HttpResponse> {
    if (req.url.find("002") != std::string::npos) return Status(403);
    return std::nullopt;
  };
  RunStage(1);
  ASSERT_TRUE(control.failed());
  EXPECT_NE(control.FirstError().message().find("tile/data/002: HTTP 403 (retrying will not help)"),
            std::string::npos)
      << control.FirstError().message();
  EXPECT_EQ(scheduler->Count(Scheduler::State::kFailed), 1u);
}

TEST_F(FetchStageTest, AStopCancelsARequestStillInFlightAboutOneSecondLater) {
  std::atomic<bool> started{false};
  SteadyTime stopped_at{}, cancelled_at{};
  http.answer = [&](const HttpRequest& req, int) -> std::optional<HttpResponse> {
    started = true;
    // As the curl engine does: poll `cancelled` every 250 ms while the request runs.
    while (!(req.cancelled && req.cancelled())) {
      if (signals.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (stopped_at == SteadyTime{}) stopped_at = clock.Now();
      clock.Advance(std::chrono::milliseconds(250));
      if (clock.Now() - stopped_at > std::chrono::seconds(10)) break;  // never cancelled: fail below
    }
    cancelled_at = clock.Now();
    HttpResponse r;
    r.transport = TransportError::kCancelled;
    r.error = "cancelled";
    return r;
  };
  FetchStage stage(Config(), *source, *scheduler, http, clock, bucket, control, n);
  ClosableQueue<FetchedReply> out(2);
  stage.Start(1, out);
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  signals = 1;
  EXPECT_FALSE(out.Pop());  // no reply; the stage closed its output
  stage.Join();
  ASSERT_NE(stopped_at, SteadyTime{});
  EXPECT_GE(cancelled_at - stopped_at, std::chrono::milliseconds(1000));
  EXPECT_LE(cancelled_at - stopped_at, std::chrono::milliseconds(1500));
  EXPECT_FALSE(control.failed());  // a stop, not an error
}

}  // namespace
}  // namespace ctdl
