#include "sync/http_meter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ctdl {
namespace {

// Answers by URL ("/429", "/500", "/timeout", ...) after a short sleep; records peak concurrency.
class SlowFake : public HttpClient {
 public:
  HttpResponse Fetch(const HttpRequest& req) override {
    int now = ++inflight_;
    int peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --inflight_;
    HttpResponse r;
    if (req.url == "/429")
      r.status = 429;
    else if (req.url == "/500")
      r.status = 503;
    else if (req.url == "/404")
      r.status = 404;
    else if (req.url == "/timeout")
      r.error = "Operation timed out after 30000 milliseconds";
    else if (req.url == "/reset")
      r.error = "Connection reset by peer";
    else {
      r.status = 200;
      r.body = "hello";
    }
    return r;
  }
  std::atomic<int> inflight_{0}, peak_{0};
};

HttpRequest Req(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

TEST(HostBudget, CapsRequestsInFlightAcrossThreads) {
  SlowFake fake;
  HostBudget budget(&fake, 3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) EXPECT_EQ(budget.Fetch(Req("/")).status, 200);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(fake.peak_.load(), 3);
  EXPECT_EQ(budget.inflight(), 0);
}

TEST(HostBudget, AsyncRequestsQueueAndAllComplete) {
  SlowFake fake;
  HostBudget budget(&fake, 2);
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back(
        [&] { budget.FetchAsync(Req("/"), [&](HttpResponse r) { done += r.status == 200; }); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), 8);
  EXPECT_LE(fake.peak_.load(), 2);
  EXPECT_EQ(budget.inflight(), 0);
}

TEST(HostBudget, StopEndsTheWait) {
  class Blocking : public HttpClient {
   public:
    HttpResponse Fetch(const HttpRequest&) override {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      HttpResponse r;
      r.status = 200;
      return r;
    }
    std::atomic<bool> release{false};
  } inner;
  std::atomic<int> stop{0};
  HostBudget budget(&inner, 1, &stop);
  std::thread holder([&] { (void)budget.Fetch(Req("/")); });
  while (budget.inflight() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = 1;
  HttpResponse r = budget.Fetch(Req("/"));  // would wait forever for the slot
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("stopped"), std::string::npos);
  inner.release = true;
  holder.join();
}

TEST(MeteredHttpClient, CountsByOutcome) {
  SlowFake fake;
  std::atomic<int64_t> inflight{0};
  MeteredHttpClient m(&fake, &inflight);
  for (const char* u : {"/", "/", "/429", "/500", "/404", "/timeout", "/reset"}) (void)m.Fetch(Req(u));
  m.FetchAsync(Req("/"), [](HttpResponse) {});
  RequestCounts c = m.counts();
  EXPECT_EQ(c.ok, 3u);
  EXPECT_EQ(c.throttled, 1u);
  EXPECT_EQ(c.server_error, 1u);
  EXPECT_EQ(c.client_error, 1u);
  EXPECT_EQ(c.timeout, 1u);
  EXPECT_EQ(c.transport, 1u);
  EXPECT_EQ(c.total(), 8u);
  EXPECT_EQ(c.bytes_in, 15u);
  EXPECT_EQ(inflight.load(), 0);
}

}  // namespace
}  // namespace ctdl
