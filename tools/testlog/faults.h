// Fault injection and request statistics for ctdl-testlog serve. Decisions are deterministic under
// the seed: request number k (in arrival order) always gets the same dice. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "serve.h"

namespace testlog {

struct Stats {
  std::atomic<uint64_t> requests{0}, ok{0}, r429{0}, r5xx{0}, r400{0}, r404{0}, bytes{0}, entries{0},
      truncated{0}, slow{0}, short_replies{0}, rate_limited{0}, huge{0};
  // Requests being answered now, and the most at once ("max_inflight"): a client's concurrency cap
  // is checked from the server's side.
  std::atomic<int64_t> inflight{0}, max_inflight{0};
  void Enter();
  void Leave() { --inflight; }
  void CountClient(const std::string& address);  // requests per client address ("clients" in Json)
  std::string Json() const;

 private:
  mutable std::mutex clients_mu_;
  std::map<std::string, uint64_t> clients_;
};

struct Decision {
  int status = 0;           // 0 = serve normally; else answer this status (429/5xx)
  std::string retry_after;  // header value for 429 ("": none)
  bool slow = false;
  bool truncate = false;
  bool truncate_hard = false;  // declared Content-Length, connection closed early
  bool short_reply = false;
  bool huge = false;  // answer with a huge (or endless) body
  uint64_t dice = 0;  // extra randomness for sizes and cut points
};

class Faults {
 public:
  explicit Faults(const ServeOptions& opt);
  // One call per request. data_path: get-entries or a tile (scope "data" limits faults to those).
  // client: the peer's address (the rate limit's bucket with --rate-per-client).
  Decision Decide(bool data_path, const std::string& client);
  std::string RetryAfter(int seconds) const;  // seconds or HTTP-date per the options

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  bool TakeToken(const std::string& client, double* wait_secs);

  const ServeOptions& opt_;
  std::atomic<uint64_t> counter_{0};
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;  // "" (one for all) or one per client address
};

}  // namespace testlog
