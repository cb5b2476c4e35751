// HttpClient decorators a multi-log download puts between its logs and the network:
//   HostBudget       one per host, shared by every log of that host: at most N requests in flight
//                    (--max-host-inflight); the rest wait their turn (Fetch blocks, FetchAsync queues).
//   MeteredHttpClient one per log: counts requests by outcome (sync/progress.h RequestCounts) and
//                    the process-wide in-flight gauge, for the display and the metrics endpoint.
// Both forward Fetch and FetchAsync unchanged otherwise. Thread-safe; the inner client must outlive
// them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

#include "net/http_client.h"
#include "sync/progress.h"

namespace ctdl {

// The outcome bucket of one response (what RequestCounts counts).
enum class RequestOutcome { kOk, kThrottled, kServerError, kClientError, kTimeout, kTransport };
RequestOutcome ClassifyOutcome(const HttpResponse& response);

class HostBudget : public HttpClient {
 public:
  // max_inflight <= 0: unlimited. stop (optional): while waiting for a slot, a raised stop flag ends
  // the wait with a transport error ("stopped"), so a graceful stop is not held up by queued requests.
  HostBudget(HttpClient* inner, int max_inflight, const std::atomic<int>* stop = nullptr);
  HttpResponse Fetch(const HttpRequest& request) override;
  void FetchAsync(HttpRequest request, FetchDone done) override;
  int inflight() const;

 private:
  void Release();  // frees a slot, or hands it to the oldest queued FetchAsync
  HttpClient* inner_;
  const int max_;
  const std::atomic<int>* stop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int inflight_ = 0;
  std::deque<std::pair<HttpRequest, FetchDone>> queued_;
};

class MeteredHttpClient : public HttpClient {
 public:
  // process_inflight (optional): incremented while a request of this client is in flight.
  MeteredHttpClient(HttpClient* inner, std::atomic<int64_t>* process_inflight = nullptr);
  HttpResponse Fetch(const HttpRequest& request) override;
  void FetchAsync(HttpRequest request, FetchDone done) override;
  RequestCounts counts() const;

 private:
  void Count(size_t request_bytes, const HttpResponse& response);
  HttpClient* inner_;
  std::atomic<int64_t>* inflight_;
  std::atomic<uint64_t> by_outcome_[6] = {};
  std::atomic<uint64_t> bytes_in_{0}, bytes_out_{0};
};

}  // namespace ctdl
