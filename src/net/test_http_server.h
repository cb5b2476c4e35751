// TestHttpServer (tests only): a keep-alive HTTP/1.1 server on 127.0.0.1, a thread per connection,
// answering each request with what `handler(path)` returns (raw bytes: status line, headers, body).
// A reply with "Connection: close" in its head closes the connection after it is sent.
// Counts connections accepted and the most requests it was serving at once.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ctdl::testing {

class TestHttpServer {
 public:
  // Returns the raw reply; an empty string closes the connection without answering.
  using Handler = std::function<std::string(const std::string& path)>;

  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 256);
    accept_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestHttpServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    accept_.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      for (int c : conns_) ::shutdown(c, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/x") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }
  int max_concurrent() const { return max_concurrent_; }
  int requests() const { return requests_; }

  static std::string Ok(const std::string& body, const std::string& extra_headers = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extra_headers + "\r\n" + body;
  }

 private:
  void AcceptLoop() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) {
        ::close(c);
        return;
      }
      conns_.push_back(c);
      threads_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) return Close(c);
        in.append(buf, static_cast<size_t>(n));
      }
      std::string head = in.substr(0, end);
      in.erase(0, end + 4);
      size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
      std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
      int now = ++busy_;
      for (int m = max_concurrent_; now > m && !max_concurrent_.compare_exchange_weak(m, now);) {
      }
      ++requests_;
      std::string reply = handler_(path);
      --busy_;
      if (reply.empty()) return Close(c);
      size_t off = 0;
      while (off < reply.size()) {
        ssize_t n = ::send(c, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return Close(c);
        off += static_cast<size_t>(n);
      }
      if (reply.substr(0, reply.find("\r\n\r\n")).find("Connection: close") != std::string::npos)
        return Close(c);
    }
  }
  void Close(int c) {
    std::lock_guard<std::mutex> l(mu_);
    conns_.erase(std::remove(conns_.begin(), conns_.end(), c), conns_.end());
    ::close(c);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0}, busy_{0}, max_concurrent_{0}, requests_{0};
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::thread accept_;
};

}  // namespace ctdl::testing
