#include "faults.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "der.h"

namespace testlog {

void Stats::CountClient(const std::string& address) {
  std::lock_guard<std::mutex> lock(clients_mu_);
  ++clients_[address];
}

void Stats::Enter() {
  int64_t now = ++inflight;
  int64_t seen = max_inflight.load();
  while (now > seen && !max_inflight.compare_exchange_weak(seen, now)) {
  }
}

std::string Stats::Json() const {
  std::string clients;
  {
    std::lock_guard<std::mutex> lock(clients_mu_);
    for (const auto& [address, n] : clients_)
      clients += fmt::format("{}\"{}\":{}", clients.empty() ? "" : ",", address, n);
  }
  return fmt::format(
      "{{\"requests\":{},\"ok\":{},\"429\":{},\"5xx\":{},\"400\":{},\"404\":{},\"bytes\":{},"
      "\"entries\":{},\"truncated\":{},\"slow\":{},\"short\":{},\"rate_limited\":{},"
      "\"huge\":{},\"max_inflight\":{},\"clients\":{{{}}}}}",
      requests.load(), ok.load(), r429.load(), r5xx.load(), r400.load(), r404.load(), bytes.load(),
      entries.load(), truncated.load(), slow.load(), short_replies.load(), rate_limited.load(),
      huge.load(), max_inflight.load(), clients);
}

Faults::Faults(const ServeOptions& opt) : opt_(opt) {}

bool Faults::TakeToken(const std::string& client, double* wait) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = buckets_.try_emplace(opt_.rate_per_client ? client : std::string());
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = opt_.burst;
    b.last = now;
  }
  double dt = std::chrono::duration<double>(now - b.last).count();
  b.last = now;
  b.tokens = std::min(opt_.burst, b.tokens + dt * opt_.rate);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  *wait = (1 - b.tokens) / opt_.rate;
  return false;
}

std::string Faults::RetryAfter(int seconds) const {
  if (!opt_.retry_after_date) return std::to_string(seconds);
  time_t t = time(nullptr) + seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Decision Faults::Decide(bool data_path, const std::string& client) {
  Decision d;
  Rng rng(Mix(opt_.seed, counter_.fetch_add(1)));
  d.dice = rng.Next();
  if (opt_.rate > 0) {
    double wait = 0;
    if (!TakeToken(client, &wait)) {
      d.status = 429;
      if (!opt_.rate_no_retry_after)
        d.retry_after = RetryAfter(std::max(1, static_cast<int>(std::ceil(wait))));
      return d;
    }
  }
  if (opt_.fault_scope == "data" && !data_path) return d;
  // Draw every die each time so one option does not shift the others' sequences.
  bool f429 = rng.Chance(opt_.p429), f5xx = rng.Chance(opt_.p5xx), fslow = rng.Chance(opt_.pslow),
       ftrunc = rng.Chance(opt_.ptruncate), fshort = rng.Chance(opt_.pshort);
  bool hard = rng.Chance(0.5);
  uint64_t which5xx = rng.Below(3);
  bool fhuge = rng.Chance(opt_.phuge);
  if (f429) {
    d.status = 429;
    d.retry_after = RetryAfter(opt_.retry_after);
  } else if (f5xx) {
    d.status = which5xx == 0 ? 500 : which5xx == 1 ? 502 : 503;
  }
  d.slow = fslow;
  d.truncate = ftrunc;
  d.truncate_hard = hard;
  d.short_reply = fshort;
  d.huge = fhuge && !f429 && !f5xx;
  return d;
}

}  // namespace testlog
