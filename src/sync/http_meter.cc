#include "sync/http_meter.h"

#include <chrono>
#include <memory>
#include <string_view>

namespace ctdl {

RequestOutcome ClassifyOutcome(const HttpResponse& r) {
  if (r.status >= 200 && r.status < 300) return RequestOutcome::kOk;
  if (r.status == 429) return RequestOutcome::kThrottled;
  if (r.status >= 500) return RequestOutcome::kServerError;
  if (r.status != 0) return RequestOutcome::kClientError;
  // curl: "Timeout was reached", "Operation timed out after N milliseconds ...".
  std::string_view e = r.error;
  if (e.find("imed out") != std::string_view::npos || e.find("imeout") != std::string_view::npos)
    return RequestOutcome::kTimeout;
  return RequestOutcome::kTransport;
}

// ---- HostBudget --------------------------------------------------------------------------------

HostBudget::HostBudget(HttpClient* inner, int max_inflight, const std::atomic<int>* stop)
    : inner_(inner), max_(max_inflight), stop_(stop) {}

int HostBudget::inflight() const {
  std::lock_guard<std::mutex> l(mu_);
  return inflight_;
}

HttpResponse HostBudget::Fetch(const HttpRequest& request) {
  if (max_ <= 0) return inner_->Fetch(request);
  {
    std::unique_lock<std::mutex> l(mu_);
    while (inflight_ >= max_) {
      if (stop_ && stop_->load() > 0) {
        HttpResponse r;
        r.error = "stopped while waiting for a request slot of this host";
        return r;
      }
      cv_.wait_for(l, std::chrono::milliseconds(200));
    }
    ++inflight_;
  }
  HttpResponse r = inner_->Fetch(request);
  Release();
  return r;
}

void HostBudget::FetchAsync(HttpRequest request, FetchDone done) {
  if (max_ <= 0) return inner_->FetchAsync(std::move(request), std::move(done));
  {
    std::lock_guard<std::mutex> l(mu_);
    if (inflight_ >= max_) {
      queued_.emplace_back(std::move(request), std::move(done));
      return;
    }
    ++inflight_;
  }
  inner_->FetchAsync(std::move(request), [this, done = std::move(done)](HttpResponse r) mutable {
    Release();
    done(std::move(r));
  });
}

void HostBudget::Release() {
  std::pair<HttpRequest, FetchDone> next;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (queued_.empty()) {
      --inflight_;
      cv_.notify_one();
      return;
    }
    next = std::move(queued_.front());  // the slot passes to the oldest queued request
    queued_.pop_front();
  }
  auto done = std::make_shared<FetchDone>(std::move(next.second));
  inner_->FetchAsync(std::move(next.first), [this, done](HttpResponse r) {
    Release();
    (*done)(std::move(r));
  });
}

// ---- MeteredHttpClient -------------------------------------------------------------------------

MeteredHttpClient::MeteredHttpClient(HttpClient* inner, std::atomic<int64_t>* process_inflight)
    : inner_(inner), inflight_(process_inflight) {}

void MeteredHttpClient::Count(size_t request_bytes, const HttpResponse& response) {
  ++by_outcome_[static_cast<int>(ClassifyOutcome(response))];
  bytes_in_ += response.body.size();
  bytes_out_ += request_bytes;
  if (inflight_) --*inflight_;
}

HttpResponse MeteredHttpClient::Fetch(const HttpRequest& request) {
  if (inflight_) ++*inflight_;
  HttpResponse r = inner_->Fetch(request);
  Count(request.body.size(), r);
  return r;
}

void MeteredHttpClient::FetchAsync(HttpRequest request, FetchDone done) {
  if (inflight_) ++*inflight_;
  size_t out = request.body.size();
  inner_->FetchAsync(std::move(request), [this, out, done = std::move(done)](HttpResponse r) {
    Count(out, r);
    done(std::move(r));
  });
}

RequestCounts MeteredHttpClient::counts() const {
  RequestCounts c;
  c.ok = by_outcome_[0];
  c.throttled = by_outcome_[1];
  c.server_error = by_outcome_[2];
  c.client_error = by_outcome_[3];
  c.timeout = by_outcome_[4];
  c.transport = by_outcome_[5];
  c.bytes_in = bytes_in_;
  c.bytes_out = bytes_out_;
  return c;
}

}  // namespace ctdl
