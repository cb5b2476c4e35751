#include "cli/tree_size.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace ctdl::cli {
namespace {

FetchOptions Tries(int attempts, bool prove_consistency = false) {
  FetchOptions o;
  o.attempts = attempts;
  o.prove_consistency = prove_consistency;
  return o;
}

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
      Tries(1));
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
  auto r = FetchTreeHead(http, Log("https://t/", "tiled"), Tries(1));
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
  auto a = FetchTreeHead(http, Log("https://a/", "rfc6962"), Tries(2));
  auto b = FetchTreeHead(http, Log("https://b/", "rfc6962"), Tries(2));
  EXPECT_FALSE(a.ok());
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(http.calls["https://a/ct/v1/get-sth"], 2);
  EXPECT_EQ(http.calls["https://b/ct/v1/get-sth"], 1);
  EXPECT_NE(b.status().message().find("HTTP 404"), std::string::npos);
}

TEST(TreeSize, RetryWaitsOnTheInjectedClockAndPermanentErrorsAreNotRetried) {
  FakeHttp http;
  HttpResponse e503;
  e503.status = 503;
  HttpResponse tls;
  tls.transport = TransportError::kCertificate;
  tls.error = "c: TLS certificate not accepted";
  http.replies["https://a/ct/v1/get-sth"] = e503;
  http.replies["https://c/ct/v1/get-sth"] = tls;
  FakeClock clock;
  FetchOptions o;
  o.attempts = 3;
  o.clock = &clock;
  auto a = FetchTreeHead(http, Log("https://a/", "rfc6962"), o);
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(http.calls["https://a/ct/v1/get-sth"], 3);
  EXPECT_GE(clock.TotalSlept(), std::chrono::milliseconds(250 + 500));  // two jittered backoffs
  auto c = FetchTreeHead(http, Log("https://c/", "rfc6962"), o);
  EXPECT_EQ(http.calls["https://c/ct/v1/get-sth"], 1);
  EXPECT_NE(c.status().message().find("TLS certificate not accepted"), std::string::npos);
}

TEST(TreeSize, StopEndsTheRetries) {
  FakeHttp http;
  HttpResponse e503;
  e503.status = 503;
  e503.headers = {{"retry-after", "3"}};
  http.replies["https://a/ct/v1/get-sth"] = e503;
  FakeClock clock;
  SteadyTime t0 = clock.Now();
  FetchOptions o;
  o.attempts = 5;
  o.clock = &clock;
  o.stop = [&] { return clock.Now() - t0 >= std::chrono::seconds(1); };
  auto a = FetchTreeHead(http, Log("https://a/", "rfc6962"), o);
  EXPECT_EQ(a.status().code(), Code::kCancelled);
  EXPECT_EQ(http.calls["https://a/ct/v1/get-sth"], 1);
  EXPECT_LE(clock.TotalSlept(), std::chrono::milliseconds(1100));
}

std::string ReadCt(const std::string& name) {
  std::ifstream in(std::string(CTDL_SOURCE_DIR) + "/testdata/ct/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Keys from testdata/ct/logs.json (the log list's values).
constexpr char kPilotKey[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfahLEimAoz2t01p3uMziiLOl/fHTDM0YDOhBRuiBARsV4UvxG2LdNgoIGLrtCzWE0J5APC2em4JlvR8EEEFMoA==";
constexpr char kArgon2025h1Key[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIIKh+WdoqOTblJji4WiH5AltIDUzODyvFKrXCBjw/Rab0/98J4LUh7dOJEY7+66+yCNSICuqRAX+VPnV8R1Fmg==";
constexpr char kSycamoreKey[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfEEe0JZknA91/c6eNl1aexgeKzuGQUMvRCXPXg9L227O5I4Pi++Abcpq6qxlVUKPYafAJelAnMfGzv3lHCc8gA==";

LogState Keyed(std::string url, std::string type, std::string key) {
  LogState l = Log(std::move(url), std::move(type));
  l.key = std::move(key);
  return l;
}

TEST(VerifiedTreeHead, RealSignaturesVerify) {
  FakeHttp http;
  http.replies["https://r/ct/v1/get-sth"] = Ok(ReadTestdata("ctgo-get-sth.json"));
  http.replies["https://t/checkpoint"] = Ok(ReadTestdata("sycamore2026h1-signed-note.txt"));
  auto r = FetchVerifiedTreeHead(http, Keyed("https://r/", "rfc6962", kPilotKey), Tries(1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->verified);
  EXPECT_EQ(r->tree_size, 3721782u);
  LogState t = Keyed("https://t/", "tiled", kSycamoreKey);
  t.submission_url = "https://log.sycamore.ct.letsencrypt.org/2026h1/";
  auto c = FetchVerifiedTreeHead(http, t, Tries(1));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tree_size, 804475391u);
}

TEST(VerifiedTreeHead, WrongKeyOrOriginIsVerifyFailedAndNamesTheLog) {
  FakeHttp http;
  http.replies["https://r/ct/v1/get-sth"] = Ok(ReadTestdata("ctgo-get-sth.json"));
  http.replies["https://t/checkpoint"] = Ok(ReadTestdata("sycamore2026h1-signed-note.txt"));
  auto r = FetchVerifiedTreeHead(http, Keyed("https://r/", "rfc6962", kArgon2025h1Key), Tries(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kVerifyFailed);
  EXPECT_NE(r.status().message().find("https://r/"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("3721782"), std::string::npos) << r.status().message();
  LogState t = Keyed("https://t/", "tiled", kSycamoreKey);
  t.submission_url = "https://log.sycamore.ct.letsencrypt.org/2026h2/";  // another origin
  auto c = FetchVerifiedTreeHead(http, t, Tries(1));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kVerifyFailed) << c.status().ToString();
  // No key at all: refused (not silently unverified).
  auto k = FetchVerifiedTreeHead(http, Log("https://r/", "rfc6962"), Tries(1));
  EXPECT_EQ(k.status().code(), Code::kInvalidArgument);
}

TEST(VerifiedTreeHead, ConsistencyWithTheStoredHead) {
  const std::string older = ReadCt("sth/argon2025h1-1425614114.json");
  const std::string newer = ReadCt("sth/argon2025h1-1425633154.json");
  const std::string proof = ReadCt("proofs/argon2025h1-consistency-1425614114-1425633154.json");
  ASSERT_FALSE(older.empty() || newer.empty() || proof.empty());
  const std::string proof_url = "https://a/ct/v1/get-sth-consistency?first=1425614114&second=1425633154";
  LogState log = Keyed("https://a/", "rfc6962", kArgon2025h1Key);
  log.sth = older;
  {
    FakeHttp http;
    http.replies["https://a/ct/v1/get-sth"] = Ok(newer);
    http.replies[proof_url] = Ok(proof);
    auto r = FetchVerifiedTreeHead(http, log, Tries(1, true));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->tree_size, 1425633154u);
    EXPECT_EQ(http.calls[proof_url], 1);
  }
  {  // one proof hash altered: a fork
    std::string bad = proof;
    size_t at = bad.find("/qxhAu1l2");
    ASSERT_NE(at, std::string::npos);
    bad[at + 1] = bad[at + 1] == 'q' ? 'r' : 'q';
    FakeHttp http;
    http.replies["https://a/ct/v1/get-sth"] = Ok(newer);
    http.replies[proof_url] = Ok(bad);
    auto r = FetchVerifiedTreeHead(http, log, Tries(1, true));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kVerifyFailed);
    EXPECT_NE(r.status().message().find("1425614114"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("LHtW79pwJohJF5Yn/tyozEroOnho4u3JAGn7WeHSR54="), std::string::npos)
        << r.status().message();
  }
  {  // the log served the older head again: a lagging frontend, proven to be a prefix (as download)
    LogState later = log;
    later.sth = newer;
    FakeHttp http;
    http.replies["https://a/ct/v1/get-sth"] = Ok(older);
    http.replies[proof_url] = Ok(proof);
    auto r = FetchVerifiedTreeHead(http, later, Tries(1, true));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->lagging);
    EXPECT_EQ(r->tree_size, 1425614114u);
    EXPECT_EQ(http.calls[proof_url], 1);
  }
  {  // an older head that is no prefix of the stored one: a fork, refused
    std::string bad = proof;
    size_t at = bad.find("/qxhAu1l2");
    bad[at + 1] = bad[at + 1] == 'q' ? 'r' : 'q';
    LogState later = log;
    later.sth = newer;
    FakeHttp http;
    http.replies["https://a/ct/v1/get-sth"] = Ok(older);
    http.replies[proof_url] = Ok(bad);
    auto r = FetchVerifiedTreeHead(http, later, Tries(1, true));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kVerifyFailed);
  }
}

}  // namespace
}  // namespace ctdl::cli
