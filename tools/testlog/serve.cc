#include "serve.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/bytes.h"
#include "keys.h"
#include "loglist.h"
#include "server.h"

namespace testlog {

using ctdl::Status;

namespace {

// Flips one bit of the timestamp (byte 7 of the TimestampedEntry): still parseable, wrong hash.
std::string CorruptFragment(std::string_view frag) {
  std::string f(frag);
  const std::string key = "\"leaf_input\":\"";
  size_t b = f.find(key);
  if (b == std::string::npos) return f;
  b += key.size();
  size_t e = f.find('"', b);
  auto leaf = ctdl::Base64Decode(f.substr(b, e - b));
  if (!leaf.ok() || leaf->size() < 10) return f;
  (*leaf)[9] ^= 1;
  return f.substr(0, b) + ctdl::Base64Encode(*leaf) + f.substr(e);
}

}  // namespace

uint64_t Server::CurrentSize() const {
  if (opt_.grow_per_sec <= 0) return log_.size();
  double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  return std::min<uint64_t>(log_.size(), initial_ + static_cast<uint64_t>(secs * opt_.grow_per_sec));
}

double Server::VisibleAt(uint64_t i) const {
  if (opt_.grow_per_sec <= 0 || i < initial_) return 0;
  return static_cast<double>(i - initial_ + 1) / opt_.grow_per_sec;
}

void Server::Error(httplib::Response& res, int status, const std::string& msg) {
  res.status = status;
  if (status == 400) stats_.r400++;
  if (status == 404) stats_.r404++;
  res.set_content(msg + "\n", "text/plain");
}

bool Server::Begin(const httplib::Request& req, httplib::Response& res, bool data, Decision* d) {
  stats_.requests++;
  stats_.CountClient(req.remote_addr);
  if (opt_.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(opt_.latency_ms));
  *d = faults_.Decide(data, req.remote_addr);
  if (d->slow) {
    stats_.slow++;
    std::this_thread::sleep_for(std::chrono::milliseconds(opt_.slow_ms));
  }
  if (d->status == 429) {
    stats_.r429++;
    if (opt_.rate > 0) stats_.rate_limited++;
    res.status = 429;
    if (!d->retry_after.empty()) res.set_header("Retry-After", d->retry_after);
    res.set_content("too many requests\n", "text/plain");
    return false;
  }
  if (d->status >= 500) {
    stats_.r5xx++;
    res.status = d->status;
    res.set_content("injected server error\n", "text/plain");
    return false;
  }
  if (d->huge) {
    SendHuge(res);
    return false;
  }
  return true;
}

// A 200 JSON reply of opt_.huge_bytes (a JSON prefix, then spaces), or endless and chunked.
void Server::SendHuge(httplib::Response& res) {
  stats_.huge++;
  static const std::string kBlock = "{\"entries\":[" + std::string((64 << 10) - 12, ' ');
  if (opt_.huge_bytes == 0) {
    res.set_chunked_content_provider("application/json", [this](size_t, httplib::DataSink& sink) {
      stats_.bytes += kBlock.size();
      return sink.write(kBlock.data(), kBlock.size());
    });
    return;
  }
  res.set_content_provider(opt_.huge_bytes, "application/json",
                           [this](size_t offset, size_t length, httplib::DataSink& sink) {
                             size_t n = std::min(length, kBlock.size() - offset % kBlock.size());
                             stats_.bytes += n;
                             return sink.write(kBlock.data() + offset % kBlock.size(), n);
                           });
}

void Server::Send(httplib::Response& res, const Decision& d, std::string body, const char* type) {
  stats_.ok++;
  if (d.truncate && !body.empty()) {
    stats_.truncated++;
    size_t cut = 1 + d.dice % std::max<size_t>(1, body.size() - 1);
    if (!d.truncate_hard) {
      body.resize(cut);
    } else {
      // Declare the full length, send `cut` bytes, then drop the connection.
      auto shared = std::make_shared<std::string>(std::move(body));
      size_t total = shared->size();
      stats_.bytes += cut;
      res.set_content_provider(total, type, [shared, cut](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset < cut) sink.write(shared->data() + offset, cut - offset);
        return false;
      });
      return;
    }
  }
  stats_.bytes += body.size();
  res.set_content(body, type);
}

void Server::SendEntries(httplib::Response& res, const Decision& d, uint64_t start, uint64_t end) {
  stats_.entries += end - start;
  bool corrupt = false;
  for (auto& [i, _] : corrupt_json_) corrupt |= (i >= start && i < end);
  if (d.truncate || corrupt) {
    std::string body = "{\"entries\":[";
    for (uint64_t i = start; i < end;) {
      auto it = corrupt_json_.lower_bound(i);
      uint64_t stop = (it == corrupt_json_.end() || it->first >= end) ? end : it->first;
      if (stop > i) {
        if (i > start) body += ',';
        body += log_.EntriesJson(i, stop);
        i = stop;
      } else {
        if (i > start) body += ',';
        body += it->second;
        ++i;
      }
    }
    body += "]}";
    Send(res, d, std::move(body), "application/json");
    return;
  }
  // Zero-copy: stream straight from the mapped file.
  static const std::string kPrefix = "{\"entries\":[", kSuffix = "]}";
  std::string_view mid = log_.EntriesJson(start, end);
  size_t total = kPrefix.size() + mid.size() + kSuffix.size();
  stats_.ok++;
  stats_.bytes += total;
  res.set_content_provider(total, "application/json", [mid](size_t offset, size_t, httplib::DataSink& sink) {
    size_t p = kPrefix.size(), m = mid.size();
    if (offset < p) return sink.write(kPrefix.data() + offset, p - offset);
    if (offset < p + m) return sink.write(mid.data() + (offset - p), m - (offset - p));
    size_t s = offset - p - m;
    return sink.write(kSuffix.data() + s, kSuffix.size() - s);
  });
}

Status Server::Run() {
  TRY(log_.Open(opt_.dir));
  log_.SetFork(opt_.fork_after);
  initial_ = opt_.initial_size ? std::min(opt_.initial_size, log_.size()) : log_.size() / 10;
  for (uint64_t i : opt_.corrupt_entries) {
    if (i >= log_.size()) return ctdl::InvalidArgument("--corrupt-entry beyond the log size");
    corrupt_json_[i] = CorruptFragment(log_.EntryJson(i));
    std::string t(log_.TileLeaves(i, i + 1));
    t[7] ^= 1;
    corrupt_tile_[i] = t;
  }

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  httplib::Server svr;
  int threads = opt_.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(100000);
  svr.set_tcp_nodelay(true);  // else a reply on a kept-alive connection can wait ~40 ms for a delayed ACK (Nagle)
  svr.set_keep_alive_timeout(5);
  using R = const httplib::Request&;
  using W = httplib::Response&;
  // Every log endpoint counts itself in flight while it answers (stats max_inflight).
  auto tracked = [this](void (Server::*handler)(R, W)) {
    return [this, handler](R q, W s) {
      stats_.Enter();
      (this->*handler)(q, s);
      stats_.Leave();
    };
  };
  svr.Get("/ct/v1/get-sth", tracked(&Server::GetSth));
  svr.Get("/ct/v1/get-entries", tracked(&Server::GetEntries));
  svr.Get("/ct/v1/get-sth-consistency", tracked(&Server::GetConsistency));
  svr.Get("/ct/v1/get-roots", tracked(&Server::GetRoots));
  svr.Get("/static/checkpoint", tracked(&Server::GetCheckpoint));
  svr.Get(R"(/static/tile/(.+))", tracked(&Server::GetTile));
  svr.Get(R"(/static/issuer/([0-9a-f]{64}))", tracked(&Server::GetIssuer));
  svr.Get("/stats", [this](R, W s) { s.set_content(stats_.Json() + "\n", "application/json"); });

  // httplib listens with a backlog of 5: a burst of connections from a concurrent client would
  // overflow it (SYNs dropped, 1 s retransmits). Remember the socket and listen again with a big one.
  int listen_fd = -1;
  svr.set_socket_options([&listen_fd](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  int port = opt_.port;
  if (port == 0) {
    port = svr.bind_to_any_port("127.0.0.1");
    if (port <= 0) return ctdl::IoError("cannot bind 127.0.0.1");
  } else if (!svr.bind_to_port("127.0.0.1", port)) {
    return ctdl::IoError(fmt::format("cannot bind 127.0.0.1:{}", port));
  }
  if (listen_fd >= 0) ::listen(listen_fd, 4096);
  origin_ = opt_.origin.empty() ? fmt::format("127.0.0.1:{}/static", port) : opt_.origin;
  if (!opt_.log_list_out.empty()) {
    TRY(WriteFile(opt_.log_list_out, LogListJson(log_.spki(), port, opt_.mmd)));
  }
  if (!opt_.port_file.empty()) TRY(WriteFile(opt_.port_file, std::to_string(port) + "\n"));
  fmt::print("ctdl-testlog serving {} entries on http://127.0.0.1:{}/ port {}\n", log_.size(), port, port);
  fflush(stdout);

  std::atomic<bool> stopping{false}, done{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (done) return;
    stopping = true;
    svr.stop();
    // httplib waits for idle kept-alive connections to time out; don't make the caller wait.
    for (int i = 0; i < 30 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!done) {
      fmt::print(stderr, "ctdl-testlog stats: {}\n", stats_.Json());
      fflush(stderr);
      _exit(0);
    }
  });
  start_ = Clock::now();
  bool ok = svr.listen_after_bind();
  done = true;
  if (!stopping) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  fmt::print(stderr, "ctdl-testlog stats: {}\n", stats_.Json());
  return ok || stopping ? Status::Ok() : ctdl::IoError("server failed");
}

Status Serve(const ServeOptions& opt) {
  Server s(opt);
  return s.Run();
}

}  // namespace testlog
