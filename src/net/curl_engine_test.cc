// The fetch engine through CurlHttpClient, against local keep-alive servers: connections reused and
// pooled per host, the per-host queue, the body cap (declared, streamed and endless chunked),
// redirects (same origin only, never when signed, never to other schemes), cancellation, shutdown
// and the transport error kinds net/retry.h classifies.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "net/curl_engine.h"
#include "net/http_client.h"
#include "net/retry.h"
#include "net/test_http_server.h"

namespace ctdl {
namespace {

using testing::TestHttpServer;
using namespace std::chrono_literals;

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.timeout = 20s;
  return r;
}

// Starts n requests at once; returns their responses when all are done.
std::vector<HttpResponse> FetchAll(HttpClient& http, const std::vector<HttpRequest>& reqs) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<HttpResponse> out(reqs.size());
  size_t done = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    http.FetchAsync(reqs[i], [&, i](HttpResponse r) {
      std::lock_guard<std::mutex> l(mu);
      out[i] = std::move(r);
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done == reqs.size(); });
  return out;
}

TEST(CurlEngineTest, SequentialRequestsReuseOneConnection) {
  TestHttpServer s([](const std::string& p) { return TestHttpServer::Ok("hello " + p); });
  auto http = NewCurlHttpClient();
  for (int i = 0; i < 50; ++i) {
    HttpResponse r = http->Fetch(Get(s.url("/" + std::to_string(i))));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "hello /" + std::to_string(i));
  }
  EXPECT_EQ(s.connections(), 1);
}

TEST(CurlEngineTest, ConcurrentRequestsArePooledPerHost) {
  // 3 waves of 64 requests, 16 per host at once: never more than 16 connections for 192 requests
  // (the old client opened one per request above 5 in flight).
  TestHttpServer s([](const std::string& p) {
    std::this_thread::sleep_for(20ms);
    return TestHttpServer::Ok(p);
  });
  CurlOptions o;
  o.max_per_host = 16;
  auto http = NewCurlHttpClient(o);
  for (int wave = 0; wave < 3; ++wave) {
    std::vector<HttpRequest> reqs;
    for (int i = 0; i < 64; ++i) reqs.push_back(Get(s.url("/" + std::to_string(wave * 64 + i))));
    std::vector<HttpResponse> got = FetchAll(*http, reqs);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].status, 200) << got[i].error;
      EXPECT_EQ(got[i].body, "/" + std::to_string(wave * 64 + i));
    }
  }
  EXPECT_EQ(s.requests(), 192);
  EXPECT_LE(s.max_concurrent(), 16);
  EXPECT_GE(s.max_concurrent(), 2);  // requests did run in parallel
  EXPECT_LE(s.connections(), 16);
}

TEST(CurlEngineTest, EngineCountsRequestsAndConnections) {
  TestHttpServer s([](const std::string& p) { return TestHttpServer::Ok(p); });
  CurlEngine engine(4);
  CurlOptions o;
  o.user_agent = "t";
  for (int i = 0; i < 3; ++i) {
    std::promise<HttpResponse> p;
    auto f = p.get_future();
    engine.Submit(std::make_unique<CurlTransfer>(
        Get(s.url()), o, engine.share(),
        [&p](HttpResponse r, std::string) { p.set_value(std::move(r)); }));
    EXPECT_EQ(f.get().status, 200);
  }
  EXPECT_EQ(engine.Stats().requests, 3u);
  EXPECT_EQ(engine.Stats().connections, 1u);
  EXPECT_EQ(engine.Stats().open_connections, 1);  // kept alive for the next request
}

TEST(CurlEngineTest, ClosedConnectionsAreNoLongerOpen) {
  TestHttpServer s([](const std::string& p) {
    return "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + std::to_string(p.size()) +
           "\r\n\r\n" + p;
  });
  auto http = NewCurlHttpClient();
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = http->Fetch(Get(s.url("/" + std::to_string(i))));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(http->Stats().open_connections, 0) << "request " << i;
  }
  EXPECT_EQ(http->Stats().connections, 3u);
  // Keep-alive ones stay open while pooled: 4 at once to one host, all kept.
  TestHttpServer k([](const std::string& p) {
    std::this_thread::sleep_for(50ms);
    return TestHttpServer::Ok(p);
  });
  std::vector<HttpRequest> reqs;
  for (int i = 0; i < 4; ++i) reqs.push_back(Get(k.url("/" + std::to_string(i))));
  for (const HttpResponse& r : FetchAll(*http, reqs)) ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(http->Stats().open_connections, k.connections());
  EXPECT_GE(k.connections(), 2);
}

TEST(CurlEngineTest, DeclaredBodyOverTheCapIsAbortedAtOnce) {
  TestHttpServer s([](const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n") + std::string(1000, 'x');
  });
  CurlOptions o;
  o.max_body_bytes = 1 << 20;
  auto http = NewCurlHttpClient(o);
  HttpResponse r = http->Fetch(Get(s.url()));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport, TransportError::kTooLarge);
  EXPECT_NE(r.error.find("reply larger than 1 MiB"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Classify(r, WallTime{}).disposition, Disposition::kRetry);  // counted and retried
}

TEST(CurlEngineTest, BodyAtTheCapPassesOneByteMoreFails) {
  std::string body(1 << 20, 'y');
  TestHttpServer s([&](const std::string& p) {
    // No Content-Length: only the bytes themselves can trip the cap.
    return "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + (p == "/exact" ? body : body + "z");
  });
  CurlOptions o;
  o.max_body_bytes = 1 << 20;
  auto http = NewCurlHttpClient(o);
  HttpResponse ok = http->Fetch(Get(s.url("/exact")));
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body.size(), body.size());
  HttpResponse big = http->Fetch(Get(s.url("/more")));
  EXPECT_EQ(big.transport, TransportError::kTooLarge) << big.error;
  HttpRequest allowed = Get(s.url("/more"));
  allowed.max_body_bytes = 2 << 20;  // a request may set its own cap (S3: our own segments)
  EXPECT_EQ(http->Fetch(allowed).status, 200);
}

TEST(CurlEngineTest, EndlessChunkedBodyStopsAtTheCap) {
  std::atomic<uint64_t> sent{0};
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::listen(fd, 1);
  std::thread server([&] {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    (void)::read(c, buf, sizeof buf);
    std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    ::send(c, head.data(), head.size(), MSG_NOSIGNAL);
    std::string chunk = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";
    while (::send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) sent += 0x10000;
    ::close(c);
  });
  CurlOptions o;
  o.max_body_bytes = 4 << 20;
  auto http = NewCurlHttpClient(o);
  HttpResponse r = http->Fetch(Get("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"));
  EXPECT_EQ(r.transport, TransportError::kTooLarge) << r.error;
  http.reset();  // closes the connection: the server's send fails
  server.join();
  ::close(fd);
  EXPECT_GE(sent.load(), 4u << 20);
  EXPECT_LT(sent.load(), 64u << 20);  // stopped near the cap, not after the machine filled up
}

TEST(CurlEngineTest, RedirectsOnlyToTheSameOrigin) {
  TestHttpServer other([](const std::string&) { return TestHttpServer::Ok("elsewhere"); });
  std::string other_url = other.url("/z");
  TestHttpServer s([&](const std::string& p) -> std::string {
    if (p == "/same") return "HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n";
    if (p == "/cross")
      return "HTTP/1.1 302 Found\r\nLocation: " + other_url + "\r\nContent-Length: 0\r\n\r\n";
    if (p == "/file")
      return "HTTP/1.1 301 Moved\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n";
    if (p == "/loop") return "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n";
    return TestHttpServer::Ok("final");
  });
  auto http = NewCurlHttpClient();
  HttpResponse same = http->Fetch(Get(s.url("/same")));
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.body, "final");
  HttpResponse cross = http->Fetch(Get(s.url("/cross")));
  EXPECT_EQ(cross.status, 302);
  EXPECT_EQ(other.requests(), 0);
  EXPECT_EQ(http->Fetch(Get(s.url("/file"))).status, 301);
  EXPECT_EQ(http->Fetch(Get(s.url("/loop"))).status, 302);
  HttpRequest no = Get(s.url("/same"));
  no.redirects = Redirects::kNone;
  EXPECT_EQ(http->Fetch(no).status, 302);
}

TEST(CurlEngineTest, SignedRequestsNeverFollowRedirects) {
  std::atomic<int> finals{0};
  TestHttpServer s([&](const std::string& p) -> std::string {
    if (p == "/bucket/key")
      return "HTTP/1.1 307 Temporary Redirect\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n";
    ++finals;
    return TestHttpServer::Ok("stolen");
  });
  auto http = NewCurlHttpClient();
  HttpRequest put = Get(s.url("/bucket/key"));
  put.method = "PUT";
  put.body = "data";
  put.aws = AwsSigning{"aws:amz", "us-east-1", "s3", "AKIDEXAMPLE", "secret", "token"};
  EXPECT_EQ(http->Fetch(put).status, 307);
  put.method = "GET";
  put.body.clear();
  EXPECT_EQ(http->Fetch(put).status, 307);
  EXPECT_EQ(finals, 0);
}

TEST(CurlEngineTest, NonHttpSchemesAreRefused) {
  auto http = NewCurlHttpClient();
  HttpResponse r = http->Fetch(Get("file:///etc/passwd"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport, TransportError::kBadUrl) << r.error;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Classify(r, WallTime{}).disposition, Disposition::kFatal);
}

TEST(CurlEngineTest, UnresolvableHostIsAFatalErrorNamingTheHost) {
  auto http = NewCurlHttpClient();
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = http->Fetch(Get("https://ctdl-no-such-log.invalid/ct/v1/get-sth"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_EQ(r.transport, TransportError::kResolve) << r.error;
  EXPECT_NE(r.error.find("ctdl-no-such-log.invalid"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("cannot resolve"), std::string::npos) << r.error;
  EXPECT_EQ(Classify(r, WallTime{}).disposition, Disposition::kFatal);
}

TEST(CurlEngineTest, RefusedConnectionIsRetryable) {
  int port;
  {
    TestHttpServer s([](const std::string&) { return std::string(); });
    port = s.port();
  }
  auto http = NewCurlHttpClient();
  HttpResponse r = http->Fetch(Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(r.transport, TransportError::kConnect) << r.error;
  EXPECT_EQ(Classify(r, WallTime{}).disposition, Disposition::kRetry);
}

TEST(CurlEngineTest, CancelStopsARequestWithinASecond) {
  std::atomic<bool> release{false};
  TestHttpServer s([&](const std::string&) {
    while (!release) std::this_thread::sleep_for(10ms);
    return TestHttpServer::Ok("late");
  });
  auto http = NewCurlHttpClient();
  std::atomic<bool> stop{false};
  HttpRequest req = Get(s.url());
  req.cancelled = [&] { return stop.load(); };
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = http->Fetch(req);
  auto took = std::chrono::steady_clock::now() - t0;
  stopper.join();
  release = true;
  EXPECT_EQ(r.transport, TransportError::kCancelled) << r.error;
  EXPECT_LT(took, 5s);  // 200 ms + one 250 ms check, with room for a loaded machine
}

TEST(CurlEngineTest, QueuedRequestsCanBeCancelledToo) {
  std::atomic<bool> release{false};
  TestHttpServer s([&](const std::string&) {
    while (!release) std::this_thread::sleep_for(10ms);
    return TestHttpServer::Ok("x");
  });
  CurlOptions o;
  o.max_per_host = 1;
  auto http = NewCurlHttpClient(o);
  std::atomic<bool> stop{false};
  std::vector<HttpRequest> reqs(3, Get(s.url()));
  for (auto& r : reqs) r.cancelled = [&] { return stop.load(); };
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop = true;
  });
  std::vector<HttpResponse> got = FetchAll(*http, reqs);
  stopper.join();
  release = true;
  for (const auto& r : got) EXPECT_EQ(r.transport, TransportError::kCancelled) << r.error;
  EXPECT_LE(s.requests(), 1);  // the two queued ones never reached the server
}

TEST(CurlEngineTest, ShutdownCompletesInFlightRequestsWithAnError) {
  std::atomic<bool> release{false};
  TestHttpServer s([&](const std::string&) {
    while (!release) std::this_thread::sleep_for(10ms);
    return TestHttpServer::Ok("x");
  });
  auto http = NewCurlHttpClient();
  std::atomic<int> calls{0};
  std::vector<HttpResponse> got(5);
  for (int i = 0; i < 5; ++i)
    http->FetchAsync(Get(s.url()), [&, i](HttpResponse r) {
      got[i] = std::move(r);
      ++calls;
    });
  std::this_thread::sleep_for(100ms);
  http.reset();
  release = true;
  EXPECT_EQ(calls, 5);
  for (const auto& r : got) {
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.transport, TransportError::kCancelled);
    EXPECT_NE(r.error.find("shut down"), std::string::npos) << r.error;
  }
}

TEST(CurlEngineTest, CallbacksMayStartRequests) {
  TestHttpServer s([](const std::string& p) { return TestHttpServer::Ok(p); });
  auto http = NewCurlHttpClient();
  std::promise<std::string> second;
  http->FetchAsync(Get(s.url("/1")), [&](HttpResponse r) {
    EXPECT_EQ(r.body, "/1");
    http->FetchAsync(Get(s.url("/2")), [&](HttpResponse r2) { second.set_value(r2.body); });
  });
  EXPECT_EQ(second.get_future().get(), "/2");
}

}  // namespace
}  // namespace ctdl
