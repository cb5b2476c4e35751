#include "cli/tree_size.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace ctdl::cli {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(CTDL_SOURCE_DIR) + "/testdata/tree_head/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Canned replies by URL; unknown URLs are a transport failure. Counts requests.
class FakeHttp : public HttpClient {
 public:
  std::map<std::string, HttpResponse> replies;
  HttpResponse Fetch(const HttpRequest& req) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls[req.url];
    auto it = replies.find(req.url);
    if (it == replies.end()) {
      HttpResponse r;
      r.error = "connection refused";
      return r;
    }
    return it->second;
  }
  std::map<std::string, int> calls;

 private:
  std::mutex mu_;
};

HttpResponse Ok(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

LogState Log(std::string url, std::string type) {
  LogState l;
  l.url = std::move(url);
  l.log_type = std::move(type);
  return l;
}

TEST(TreeSize, FetchesGetSthAndCheckpoint) {
  FakeHttp http;
  http.replies["https://r/ct/v1/get-sth"] = Ok(ReadTestdata("ctgo-get-sth.json"));
  http.replies["https://t/checkpoint"] = Ok(ReadTestdata("sycamore2026h1-signed-note.txt"));
  auto heads = FetchTreeHeads(
      http, {Log("https://r/", "rfc6962"), Log("https://t/", "tiled"), Log("https://down/", "rfc6962")}, 2,
      {.attempts = 1});
  ASSERT_EQ(heads.size(), 3u);
  ASSERT_TRUE(heads[0].ok()) << heads[0].status().ToString();
  EXPECT_EQ(heads[0]->tree_size, 3721782u);
  EXPECT_EQ(heads[0]->sth, ReadTestdata("ctgo-get-sth.json"));
  ASSERT_TRUE(heads[1].ok()) << heads[1].status().ToString();
  EXPECT_EQ(heads[1]->tree_size, 804475391u);
  ASSERT_FALSE(heads[2].ok());
  EXPECT_EQ(heads[2].status().code(), Code::kUnavailable);
  EXPECT_NE(heads[2].status().message().find("https://down/ct/v1/get-sth"), std::string::npos);
}

TEST(TreeSize, MalformedReplyIsCorruptAndNamesUrl) {
  FakeHttp http;
  http.replies["https://t/checkpoint"] = Ok("not a checkpoint");
  auto r = FetchTreeHead(http, Log("https://t/", "tiled"), {.attempts = 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("https://t/checkpoint"), std::string::npos);
}

TEST(TreeSize, RetriesServerErrorsButNot404) {
  FakeHttp http;
  HttpResponse e500;
  e500.status = 500;
  HttpResponse e404;
  e404.status = 404;
  http.replies["https://a/ct/v1/get-sth"] = e500;
  http.replies["https://b/ct/v1/get-sth"] = e404;
  auto a = FetchTreeHead(http, Log("https://a/", "rfc6962"), {.attempts = 2});
  auto b = FetchTreeHead(http, Log("https://b/", "rfc6962"), {.attempts = 2});
  EXPECT_FALSE(a.ok());
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(http.calls["https://a/ct/v1/get-sth"], 2);
  EXPECT_EQ(http.calls["https://b/ct/v1/get-sth"], 1);
  EXPECT_NE(b.status().message().find("HTTP 404"), std::string::npos);
}

}  // namespace
}  // namespace ctdl::cli
