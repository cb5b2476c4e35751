// CurlHttpClient against a scripted one-shot HTTP server on 127.0.0.1: bodies arrive intact whatever
// the Content-Length says (the client sizes its buffer from it; it is only a hint).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
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

HttpResponse Get(const std::string& url) {
  auto client = NewCurlHttpClient();
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

}  // namespace
}  // namespace ctdl
