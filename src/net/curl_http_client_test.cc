// CurlHttpClient against a scripted one-shot HTTP server on 127.0.0.1: bodies arrive intact whatever
// the Content-Length says (the client sizes its buffer from it; it is only a hint), in receive-buffer
// whatever the receive buffer (CurlOptions::receive_buffer_bytes), and the body cap holds within one.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

#include "net/http_client.h"

namespace ctdl {
namespace {

// Accepts one connection, reads the request head, writes `reply` verbatim, closes.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    EXPECT_EQ(::listen(fd_, 1), 0);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      size_t off = 0;
      while (off < reply_.size()) {
        ssize_t n = ::write(c, reply_.data() + off, reply_.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

HttpResponse Get(const std::string& url, const CurlOptions& options = {}) {
  auto client = NewCurlHttpClient(options);
  HttpRequest req;
  req.url = url;
  req.timeout = std::chrono::milliseconds(10000);
  return client->Fetch(req);
}

std::string Body(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i * 7 % 26);
  return s;
}

TEST(CurlHttpClientTest, LargeBodyWithContentLength) {
  std::string body = Body(5 << 20);
  OneShotServer s("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: close\r\n\r\n" + body);
  HttpResponse r = Get(s.url());
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.body == body);
}

TEST(CurlHttpClientTest, BodyWithoutContentLength) {
  std::string body = Body(300000);
  OneShotServer s("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body);
  HttpResponse r = Get(s.url());
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.body == body);
}

TEST(CurlHttpClientTest, HugeContentLengthThenCloseIsATransportErrorNotACrash) {
  // Claims 1 TB, sends 10 bytes and closes: the buffer hint is capped, the transfer fails.
  OneShotServer s("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n0123456789");
  HttpResponse r = Get(s.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(r.body.empty());
}

TEST(CurlHttpClientTest, ZeroContentLength) {
  OneShotServer s("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpResponse r = Get(s.url());
  EXPECT_EQ(r.status, 204) << r.error;
  EXPECT_TRUE(r.body.empty());
}

// HTTP/1.1 chunked encoding of `body` in chunks of `n` bytes.
std::string Chunked(const std::string& body, size_t n) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += n) {
    std::string_view c = std::string_view(body).substr(i, n);
    char len[32];
    std::snprintf(len, sizeof len, "%zx\r\n", c.size());
    out += len;
    out.append(c);
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

// A 4 MiB reply written at once arrives whole with libcurl's 16 KiB buffer, the default 256 KiB one
// and a 1 MiB one (above the mmap threshold), with a Content-Length and chunked (chunks of 100,003
// bytes: their heads fall anywhere inside a receive buffer).
TEST(CurlHttpClientTest, LargeReplyArrivesWholeWhateverTheReceiveBuffer) {
  std::string body = Body((4 << 20) + 17);
  std::string sized = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body;
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                        Chunked(body, 100003);
  for (size_t buffer : {size_t{16} << 10, CurlOptions{}.receive_buffer_bytes, size_t{1} << 20}) {
    CurlOptions o;
    o.receive_buffer_bytes = buffer;
    for (const std::string* reply : {&sized, &chunked}) {
      OneShotServer s(*reply);
      HttpResponse r = Get(s.url(), o);
      ASSERT_EQ(r.status, 200) << r.error << " buffer " << buffer;
      EXPECT_EQ(r.body.size(), body.size()) << "buffer " << buffer;
      EXPECT_TRUE(r.body == body) << "buffer " << buffer << (reply == &sized ? " sized" : " chunked");
    }
  }
}

// A cap smaller than one receive buffer: one recv() brings more than the cap allows; aborted, not kept.
TEST(CurlHttpClientTest, CapBelowOneReceiveBufferStillHolds) {
  CurlOptions o;
  o.max_body_bytes = 100000;
  {
    OneShotServer s("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Body(100000));
    HttpResponse r = Get(s.url(), o);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body.size(), 100000u);
  }
  OneShotServer s("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Body(100001));
  HttpResponse r = Get(s.url(), o);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport, TransportError::kTooLarge) << r.error;
  EXPECT_TRUE(r.body.empty());
}

// A Content-Length under the cap but larger than what is sent (the buffer is sized from it): a
// transport error, nothing of the partial body kept.
TEST(CurlHttpClientTest, LyingContentLengthUnderTheCapIsATransportError) {
  OneShotServer s("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n" + Body(1000000));
  HttpResponse r = Get(s.url());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport, TransportError::kOther) << r.error;
  EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace ctdl
