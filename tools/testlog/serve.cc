#include "serve.h"

#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "base/bytes.h"
#include "base/log.h"
#include "encode.h"
#include "faults.h"
#include "heads.h"
#include "keys.h"
#include "logdata.h"
#include "loglist.h"

namespace testlog {

using ctdl::Status;
using Clock = std::chrono::steady_clock;

namespace {

bool ParseU64(const std::string& s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    r = r * 10 + (c - '0');
  }
  *v = r;
  return true;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

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

class Server {
 public:
  explicit Server(const ServeOptions& opt) : opt_(opt), faults_(opt), heads_(&log_, opt.bad_signature) {}
  Status Run();

 private:
  uint64_t CurrentSize() const;
  double VisibleAt(uint64_t index) const;  // seconds after start when an entry appeared
  // Applies the pre-handler faults; returns false when the request was answered already.
  bool Begin(const httplib::Request& req, httplib::Response& res, bool data, Decision* d);
  void Send(httplib::Response& res, const Decision& d, std::string body, const char* type);
  void SendEntries(httplib::Response& res, const Decision& d, uint64_t start, uint64_t end);
  void Error(httplib::Response& res, int status, const std::string& msg);
  void GetSth(const httplib::Request& req, httplib::Response& res);
  void GetEntries(const httplib::Request& req, httplib::Response& res);
  void GetConsistency(const httplib::Request& req, httplib::Response& res);
  void GetRoots(const httplib::Request& req, httplib::Response& res);
  void GetCheckpoint(const httplib::Request& req, httplib::Response& res);
  void GetTile(const httplib::Request& req, httplib::Response& res);
  void GetIssuer(const httplib::Request& req, httplib::Response& res);

  const ServeOptions& opt_;
  LogData log_;
  Faults faults_;
  HeadSigner heads_;
  Stats stats_;
  std::string origin_;
  Clock::time_point start_ = Clock::now();
  uint64_t initial_ = 0;
  std::map<uint64_t, std::string> corrupt_json_, corrupt_tile_;
};

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
  if (opt_.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(opt_.latency_ms));
  *d = faults_.Decide(data);
  if (d->slow) {
    stats_.slow++;
    std::this_thread::sleep_for(std::chrono::milliseconds(opt_.slow_ms));
  }
  if (d->status == 429) {
    stats_.r429++;
    if (opt_.rate > 0) stats_.rate_limited++;
    res.status = 429;
    res.set_header("Retry-After", d->retry_after);
    res.set_content("too many requests\n", "text/plain");
    return false;
  }
  if (d->status >= 500) {
    stats_.r5xx++;
    res.status = d->status;
    res.set_content("injected server error\n", "text/plain");
    return false;
  }
  return true;
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

void Server::GetSth(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  auto h = heads_.Get(CurrentSize());
  if (!h.ok()) return Error(res, 500, h.status().ToString());
  Send(res, d, HeadSigner::SthJson(*h), "application/json");
}

void Server::GetEntries(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, true, &d)) return;
  uint64_t start, end;
  if (!ParseU64(req.get_param_value("start"), &start) || !ParseU64(req.get_param_value("end"), &end) ||
      start > end) {
    return Error(res, 400, "bad start/end");
  }
  uint64_t size = CurrentSize();
  if (start >= size) return Error(res, 400, "start beyond tree size");
  if (opt_.lag > 0 && start + opt_.lag >= size) {
    double now = std::chrono::duration<double>(Clock::now() - start_).count();
    if (now < VisibleAt(start) + opt_.lag_ms / 1000.0)
      return Error(res, 400, "backend lagging: start beyond its tree size");
  }
  uint64_t last = std::min(end, size - 1);
  if (opt_.align)
    last = std::min(last, (start / opt_.cap + 1) * opt_.cap - 1);
  else
    last = std::min(last, start + opt_.cap - 1);
  uint64_t count = last - start + 1;
  if (d.short_reply && count > 1) {
    count = 1 + d.dice % (count - 1);
    stats_.short_replies++;
  }
  SendEntries(res, d, start, start + count);
}

void Server::GetConsistency(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  uint64_t first, second;
  if (!ParseU64(req.get_param_value("first"), &first) || !ParseU64(req.get_param_value("second"), &second) ||
      first > second || second > CurrentSize()) {
    return Error(res, 400, "bad first/second");
  }
  std::string body = "{\"consistency\":[";
  auto proof = log_.Consistency(first, second);
  for (size_t i = 0; i < proof.size(); ++i) {
    if (i) body += ',';
    body += '"' + ctdl::Base64Encode(ctdl::AsView(proof[i])) + '"';
  }
  body += "]}";
  Send(res, d, std::move(body), "application/json");
}

void Server::GetRoots(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  std::string body = "{\"certificates\":[";
  for (size_t i = 0; i < log_.issuers().size(); ++i) {
    if (i) body += ',';
    body += '"' + ctdl::Base64Encode(log_.issuers()[i].second) + '"';
  }
  body += "]}";
  Send(res, d, std::move(body), "application/json");
}

void Server::GetCheckpoint(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  auto h = heads_.Get(CurrentSize());
  if (!h.ok()) return Error(res, 500, h.status().ToString());
  Send(res, d, heads_.Checkpoint(*h, origin_), "text/plain; charset=utf-8");
}

void Server::GetTile(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, true, &d)) return;
  std::string_view path = req.path;
  path.remove_prefix(std::string_view("/static/tile/").size());
  bool data = path.substr(0, 5) == "data/";
  int level = 0;
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return Error(res, 404, "bad tile path");
  if (!data) {
    if (slash == 0 || slash > 2) return Error(res, 404, "bad tile level");
    for (char c : path.substr(0, slash)) {
      if (c < '0' || c > '9') return Error(res, 404, "bad tile level");
      level = level * 10 + (c - '0');
    }
    if (level > 7) return Error(res, 404, "bad tile level");
  }
  path.remove_prefix(slash + 1);
  uint64_t width = 256, n;
  size_t p = path.find(".p/");
  if (p != std::string_view::npos) {
    if (!ParseU64(std::string(path.substr(p + 3)), &width) || width == 0 || width >= 256)
      return Error(res, 404, "bad partial width");
    path = path.substr(0, p);
  }
  if (!ParseTilePath(path, &n) || n > (uint64_t{1} << 40)) return Error(res, 404, "bad tile index");
  uint64_t size = CurrentSize();
  uint64_t avail = data ? size : (size >> (8 * level));
  if (n * 256 + width > avail) return Error(res, 404, "tile not available");
  if (width < 256 && opt_.remove_partial_tiles && n * 256 + 256 <= avail)
    return Error(res, 404, "partial tile removed (full tile exists)");
  uint64_t lo = n * 256, hi = lo + width;
  std::string body;
  if (data) {
    stats_.entries += width;
    for (uint64_t i = lo; i < hi;) {
      auto it = corrupt_tile_.lower_bound(i);
      uint64_t stop = (it == corrupt_tile_.end() || it->first >= hi) ? hi : it->first;
      if (stop > i) {
        body += log_.TileLeaves(i, stop);
        i = stop;
      } else {
        body += it->second;
        ++i;
      }
    }
    if (opt_.gzip_tiles) {
      body = Gzip(body);
      res.set_header("Content-Encoding", "gzip");
    }
  } else {
    body.reserve(width * 32);
    for (uint64_t i = lo; i < hi; ++i) body += ctdl::AsView(log_.Node(8 * level, i, size));
  }
  Send(res, d, std::move(body), "application/octet-stream");
}

void Server::GetIssuer(const httplib::Request& req, httplib::Response& res) {
  Decision d;
  if (!Begin(req, res, false, &d)) return;
  std::string name = req.matches[1];
  for (auto& [hex, der] : log_.issuers()) {
    if (hex == name) return Send(res, d, der, "application/pkix-cert");
  }
  Error(res, 404, "no such issuer");
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
  svr.set_keep_alive_timeout(5);
  using R = const httplib::Request&;
  using W = httplib::Response&;
  svr.Get("/ct/v1/get-sth", [this](R q, W s) { GetSth(q, s); });
  svr.Get("/ct/v1/get-entries", [this](R q, W s) { GetEntries(q, s); });
  svr.Get("/ct/v1/get-sth-consistency", [this](R q, W s) { GetConsistency(q, s); });
  svr.Get("/ct/v1/get-roots", [this](R q, W s) { GetRoots(q, s); });
  svr.Get("/static/checkpoint", [this](R q, W s) { GetCheckpoint(q, s); });
  svr.Get(R"(/static/tile/(.+))", [this](R q, W s) { GetTile(q, s); });
  svr.Get(R"(/static/issuer/([0-9a-f]{64}))", [this](R q, W s) { GetIssuer(q, s); });
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

}  // namespace

Status Serve(const ServeOptions& opt) {
  Server s(opt);
  return s.Run();
}

}  // namespace testlog
