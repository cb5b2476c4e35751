// Test-only: a stateful, fault-injecting RFC 6962 log behind the HttpClient seam (leveldb SpecialEnv
// style). Entries are synthetic x509 entries: cert = "cert-<i>", timestamp = 1000 + i. Faults are
// drawn from a seeded RNG per request, plus an optional hook that can answer any request itself.
// Thread-safe. Several FakeLogs can sit behind one FakeRouter (one HttpClient for many logs).
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "ct/merkle.h"
#include "net/http_client.h"

namespace ctdl::testing_fake {

inline std::string FakeLeaf(uint64_t i) {
  std::string cert = "cert-" + std::to_string(i);
  std::string s;
  AppendUint(&s, 1, 0);
  AppendUint(&s, 1, 0);
  AppendUint(&s, 8, 1000 + i);
  AppendUint(&s, 2, 0);
  AppendUint(&s, 3, cert.size());
  s += cert;
  AppendUint(&s, 2, 0);
  return s;
}

struct RequestRecord {
  SteadyTime at;
  uint64_t start = 0, end = 0;  // [start, end)
  int status = 0;
  uint64_t served = 0;
};

struct FakeLogOptions {
  uint64_t size = 1000;
  uint64_t cap = 100;
  bool align = false;
  double p429 = 0, p5xx = 0, pbad_json = 0, pshort = 0, pempty = 0, ptransport = 0;
  int retry_after_secs = 0;  // 0: no header on 429
  bool retry_after_date = false;
  std::set<uint64_t> garbage;  // indexes served with bad base64 leaf_input
  uint64_t surplus = 0;        // extra entries appended to each reply
  bool wrong_root = false;
  uint64_t seed = 1;
};

class FakeLog {
 public:
  FakeLog(std::string url, FakeLogOptions o, Clock* clock)
      : url_(std::move(url)), o_(std::move(o)), clock_(clock), rng_(o_.seed) {
    CompactRange r;
    for (uint64_t i = 0; i < o_.size; ++i) r.Append(HashLeaf(FakeLeaf(i)));
    root_ = r.Root();
    if (o_.wrong_root) root_[0] ^= 1;
  }
  const std::string& url() const { return url_; }
  const FakeLogOptions& options() const { return o_; }
  // Return a response to override normal serving (for one request), or nullopt.
  std::function<std::optional<HttpResponse>(uint64_t start, uint64_t end)> hook;

  HttpResponse Serve(const std::string& path) {
    int now_inflight = ++inflight_;
    {
      std::lock_guard<std::mutex> l(mu_);
      max_inflight_ = std::max(max_inflight_, now_inflight);
    }
    HttpResponse r = ServeInner(path);
    --inflight_;
    return r;
  }

  std::vector<RequestRecord> Requests() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  int MaxInflight() const {
    std::lock_guard<std::mutex> l(mu_);
    return max_inflight_;
  }

 private:
  HttpResponse ServeInner(const std::string& path) {
    HttpResponse r;
    if (path == "ct/v1/get-sth") {
      r.status = 200;
      r.body = fmt::format(
          "{{\"tree_size\":{},\"timestamp\":1700000000000,\"sha256_root_hash\":\"{}\","
          "\"tree_head_signature\":\"{}\"}}",
          o_.size, Base64Encode(AsView(root_)), Base64Encode(std::string("\x04\x03\x00\x02sg", 6)));
      return r;
    }
    unsigned long long start_ll = 0, last_ll = 0;
    if (sscanf(path.c_str(), "ct/v1/get-entries?start=%llu&end=%llu", &start_ll, &last_ll) != 2 ||
        last_ll < start_ll) {
      r.status = 400;
      return r;
    }
    uint64_t start = start_ll, last = last_ll;
    RequestRecord rec;
    rec.at = clock_->Now();
    rec.start = start;
    rec.end = last + 1;
    if (hook) {
      if (auto h = hook(start, last + 1)) {
        rec.status = h->status;
        Record(rec);
        return *h;
      }
    }
    double dice[6];
    uint64_t extra;
    {
      std::lock_guard<std::mutex> l(mu_);
      std::uniform_real_distribution<double> u(0, 1);
      for (double& d : dice) d = u(rng_);
      extra = rng_();
    }
    if (start >= o_.size) {
      r.status = 400;
    } else if (dice[0] < o_.p429) {
      r.status = 429;
      if (o_.retry_after_secs) {
        if (o_.retry_after_date) {
          std::time_t t = std::chrono::system_clock::to_time_t(clock_->WallNow()) +
                          o_.retry_after_secs + 1;
          std::tm tm{};
          gmtime_r(&t, &tm);
          char buf[64];
          strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
          r.headers.push_back({"retry-after", buf});
        } else {
          r.headers.push_back({"retry-after", std::to_string(o_.retry_after_secs)});
        }
      }
    } else if (dice[1] < o_.p5xx) {
      r.status = 503;
    } else if (dice[2] < o_.ptransport) {
      r.status = 0;
      r.error = "connection reset (injected)";
    } else {
      uint64_t end = std::min<uint64_t>(last + 1, o_.size);
      end = std::min(end, start + o_.cap);
      if (o_.align) end = std::min(end, (start / o_.cap + 1) * o_.cap);
      if (dice[3] < o_.pshort && end - start > 1) end = start + 1 + extra % (end - start - 1);
      if (dice[4] < o_.pempty) end = start;
      r.status = 200;
      std::string body = "{\"entries\":[";
      uint64_t stop = std::min(o_.size, end + o_.surplus);
      for (uint64_t i = start; i < stop; ++i) {
        if (i > start) body += ",";
        std::string leaf = o_.garbage.count(i) ? std::string("!!!!") : Base64Encode(FakeLeaf(i));
        body += "{\"leaf_input\":\"" + leaf + "\",\"extra_data\":\"AAAA\"}";
      }
      body += "]}";
      if (dice[5] < o_.pbad_json) body.resize(body.size() / 2);
      r.body = std::move(body);
      rec.served = end - start;
    }
    rec.status = r.status;
    Record(rec);
    return r;
  }
  void Record(const RequestRecord& rec) {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(rec);
  }

  std::string url_;
  FakeLogOptions o_;
  Clock* clock_;
  Hash256 root_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::vector<RequestRecord> requests_;
  std::atomic<int> inflight_{0};
  int max_inflight_ = 0;
};

// Routes requests to FakeLogs by URL prefix.
class FakeRouter : public HttpClient {
 public:
  void Add(FakeLog* log) { logs_.push_back(log); }
  HttpResponse Fetch(const HttpRequest& req) override {
    for (FakeLog* l : logs_)
      if (req.url.rfind(l->url(), 0) == 0) return l->Serve(req.url.substr(l->url().size()));
    HttpResponse r;
    r.status = 404;
    return r;
  }

 private:
  std::vector<FakeLog*> logs_;
};

// An HttpClient whose FetchAsync returns at once and completes on one loop thread of its own, as the
// curl engine does: each request is answered by `inner` `delay` (real time) after it was started, in
// the order started. Peak() is the most requests in flight at once (with a single thread).
class LoopClient : public HttpClient {
 public:
  LoopClient(HttpClient* inner, std::chrono::microseconds delay)
      : inner_(inner), delay_(delay), loop_([this] { Loop(); }) {}
  ~LoopClient() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    loop_.join();
  }
  HttpResponse Fetch(const HttpRequest& r) override { return inner_->Fetch(r); }
  void FetchAsync(HttpRequest r, FetchDone done) override {
    std::lock_guard<std::mutex> l(mu_);
    q_.push_back({std::chrono::steady_clock::now() + delay_, std::move(r), std::move(done)});
    peak_ = std::max(peak_, ++inflight_);
    ++started_;
    cv_.notify_all();
  }
  int Peak() const {
    std::lock_guard<std::mutex> l(mu_);
    return peak_;
  }
  int Started() const {
    std::lock_guard<std::mutex> l(mu_);
    return started_;
  }

 private:
  struct Job {
    std::chrono::steady_clock::time_point due;
    HttpRequest request;
    FetchDone done;
  };
  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || !q_.empty(); });
      if (q_.empty()) return;
      if (std::chrono::steady_clock::now() < q_.front().due) {
        cv_.wait_until(l, q_.front().due);
        continue;
      }
      Job j = std::move(q_.front());
      q_.pop_front();
      l.unlock();
      HttpResponse resp = inner_->Fetch(j.request);
      l.lock();
      --inflight_;
      l.unlock();
      j.done(std::move(resp));
      l.lock();
    }
  }

  HttpClient* inner_;
  const std::chrono::microseconds delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> q_;
  int inflight_ = 0, peak_ = 0, started_ = 0;
  bool stop_ = false;
  std::thread loop_;  // last: starts after the members it uses
};

}  // namespace ctdl::testing_fake
