#include "sync/host_rates.h"

#include <cctype>
#include <cmath>

#include "base/log.h"
#include "ct/rfc6962_requests.h"

namespace ctdl {

std::string RateHostKey(const std::string& url) {
  std::string h = UrlHost(url);
  if (size_t p = h.find("://"); p != std::string::npos) h = h.substr(p + 3);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

TokenBucket* HostBuckets::For(const std::string& url, const std::string& operator_name) {
  std::string key = RateHostKey(url);
  Host& h = hosts_[key];
  if (h.bucket) return h.bucket.get();
  h.operator_name = operator_name;
  if (!listed_) {
    listed_ = true;
    auto all = store_->ListHostRates();
    if (all.ok()) known_ = std::move(all).value();
    else LOG_WARN("could not read the learnt rate limits ({}); learning them again", all.status().ToString());
  }
  const HostRate* start = nullptr;
  for (const HostRate& r : known_)
    if (r.host == key) start = &r;
  if (start) {
    h.saved_rps = start->rps;
    LOG_INFO("{}: starting at the rate limit learnt earlier, {:.3g} req/s", key, start->rps);
  } else if (!operator_name.empty()) {
    for (const HostRate& r : known_)
      if (r.operator_name == operator_name && (!start || r.updated_at > start->updated_at)) start = &r;
    if (start)
      LOG_INFO("{}: starting at {:.3g} req/s, the rate limit learnt for {} (same operator, {})", key,
               start->rps, start->host, operator_name);
  }
  LearntRate known;
  if (start) known = {start->rps, start->burst, start->retry_after};
  h.bucket = std::make_unique<TokenBucket>(max_rps_, known);
  return h.bucket.get();
}

Status HostBuckets::Save() {
  Status first;
  for (auto& [key, h] : hosts_) {
    LearntRate l = h.bucket->learnt();
    if (l.rps <= 0 || (h.saved_rps > 0 && std::abs(l.rps - h.saved_rps) <= 0.02 * h.saved_rps)) continue;
    HostRate r{key, l.rps, l.burst, l.retry_after, h.operator_name};
    Status s = store_->PutHostRate(r);
    if (s.ok()) {
      h.saved_rps = l.rps;
      LOG_DEBUG("{}: learnt rate limit {:.3g} req/s stored", key, l.rps);
    } else if (first.ok()) {
      first = s;
    }
  }
  return first;
}

}  // namespace ctdl
