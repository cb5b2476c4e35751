// The tree head is the LogSource's: URL, parsing, fetching (through a Retrier), per API.
#include "sync/log_source.h"

#include <gtest/gtest.h>

#include <vector>

#include "sync/fake_log_for_test.h"

namespace ctdl {
namespace {

// Answers the n-th request with bodies[n] (200), or 503 when there are no more.
class Replies : public HttpClient {
 public:
  explicit Replies(std::vector<std::string> bodies) : bodies_(std::move(bodies)) {}
  HttpResponse Fetch(const HttpRequest& req) override {
    urls.push_back(req.url);
    HttpResponse r;
    r.status = next_ < bodies_.size() ? 200 : 503;
    if (next_ < bodies_.size()) r.body = bodies_[next_++];
    return r;
  }
  std::vector<std::string> urls;

 private:
  std::vector<std::string> bodies_;
  size_t next_ = 0;
};

TEST(LogSourceTreeHead, FetchRetriesABodyThatDoesNotParseThenParsesTheHead) {
  FakeClock clock;
  testing_fake::FakeLogOptions o;
  o.size = 777;
  testing_fake::FakeLog log("https://log.example/", o, &clock);
  std::string sth = log.Serve("ct/v1/get-sth").body;
  Replies http({"{\"tree_size\":", sth});  // a truncated head first
  LogState state;
  state.url = "https://log.example/";
  auto source = NewLogSource(state);
  Retrier retrier(http, clock, RetryPolicy{3, Backoff{}});
  LogSource::FetchedHead got = source->FetchTreeHead(retrier, HttpRequest{});
  ASSERT_TRUE(got.outcome.ok()) << got.outcome.why;
  ASSERT_TRUE(got.head);
  EXPECT_EQ(got.head->tree_size, 777u);
  EXPECT_EQ(got.outcome.response.body, sth);
  EXPECT_EQ(got.outcome.attempts, 2);
  EXPECT_EQ(http.urls, (std::vector<std::string>{"https://log.example/ct/v1/get-sth",
                                                 "https://log.example/ct/v1/get-sth"}));
}

TEST(LogSourceTreeHead, FetchGivesUpWithoutAHead) {
  FakeClock clock;
  Replies http({"not a checkpoint", "still not"});
  LogState state;
  state.url = "https://tiles.example/";
  state.log_type = "tiled";
  auto source = NewLogSource(state);
  Retrier retrier(http, clock, RetryPolicy{2, Backoff{}});
  LogSource::FetchedHead got = source->FetchTreeHead(retrier, HttpRequest{});
  EXPECT_FALSE(got.outcome.ok());
  EXPECT_FALSE(got.head);
  EXPECT_EQ(http.urls.size(), 2u);
  EXPECT_EQ(http.urls[0], "https://tiles.example/checkpoint");
}

}  // namespace
}  // namespace ctdl
