// HostBuckets: the TokenBucket of every host a download talks to, started at the rate limit the state
// store learnt earlier (the host's own HostRate, else the newest one of another host of the same
// operator), and what the buckets learnt written back, so a restart or another log of the operator
// does not learn it from 429s again (doc/rate-limits.md).
// Thread safety: For() and Save() are for one thread (RunDownload's); the buckets are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "store/state_store.h"
#include "sync/rate_limiter.h"

namespace ctdl {

// "ct.example.com[:port]" of a log URL (lower case, no scheme): the key of its HostRate.
std::string RateHostKey(const std::string& url);

class HostBuckets {
 public:
  HostBuckets(StateStore* store, double max_rps) : store_(store), max_rps_(max_rps) {}
  // The bucket of `url`'s host, created on first use. operator_name: of the log (may be "").
  // A store that cannot be read only costs the head start (logged), never the download.
  TokenBucket* For(const std::string& url, const std::string& operator_name);
  // Writes each host's learnt rate that differs from the stored one by more than 2 %.
  Status Save();

 private:
  struct Host {
    std::unique_ptr<TokenBucket> bucket;
    std::string operator_name;
    double saved_rps = 0;
  };
  StateStore* store_;
  double max_rps_;
  bool listed_ = false;
  std::vector<HostRate> known_;  // every stored record, read once
  std::map<std::string, Host> hosts_;
};

}  // namespace ctdl
