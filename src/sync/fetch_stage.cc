#include "sync/fetch_stage.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "net/retry.h"

namespace ctdl {

namespace {
std::string Describe(const HttpResponse& r) {
  return r.status ? fmt::format("HTTP {}", r.status) : "transport error: " + r.error;
}
}  // namespace

FetchStage::FetchStage(Config config, const LogSource& source, Scheduler& scheduler, HttpClient& http,
                       Clock& clock, TokenBucket& bucket, RunControl& control, DownloadCounters& counters)
    : cfg_(std::move(config)),
      source_(source),
      scheduler_(scheduler),
      http_(http),
      clock_(clock),
      bucket_(bucket),
      control_(control),
      n_(counters) {}

FetchStage::~FetchStage() { Join(); }

void FetchStage::Start(int threads, ClosableQueue<FetchedReply>& out) {
  int n = threads < 1 ? 1 : threads;
  alive_ = n;
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this, &out] { Loop(out); });
}

void FetchStage::Join() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void FetchStage::Loop(ClosableQueue<FetchedReply>& out) {
  while (std::optional<Scheduler::Claim> c = scheduler_.Next())
    if (!Fetch(*c, out)) break;
  if (--alive_ == 0) out.Close();  // the decoders drain what is queued, then end
}

// A claimed range is sent when its slot is free, even if a stop came meanwhile: claims are made lowest
// first, so the ranges below a failing one are always fetched (and committed), whatever the timing.
bool FetchStage::WaitForSlot() {
  for (;;) {
    Duration wait = bucket_.Reserve(clock_.Now());
    if (wait <= Duration::zero()) return true;
    if (cfg_.stopping()) return false;
    clock_.SleepFor(std::min(wait, cfg_.poll));
  }
}

bool FetchStage::CancelInFlight() {
  if (!cfg_.stopping()) return false;
  int64_t now = clock_.Now().time_since_epoch().count();
  int64_t seen = 0;
  if (stop_seen_ns_.compare_exchange_strong(seen, now)) return false;  // first to see it
  return Duration(now - seen) >= cfg_.cancel_after;
}

bool FetchStage::Fetch(const Scheduler::Claim& c, ClosableQueue<FetchedReply>& out) {
  if (!WaitForSlot()) {
    scheduler_.Return(c);
    return true;
  }
  HttpRequest req = source_.MakeRequest({c.start, c.end, c.full_tile});
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.request_timeout);
  req.cancelled = [this] { return CancelInFlight(); };
  if (cfg_.on_last_claim && c.end == cfg_.last_end && !last_claimed_.exchange(true)) cfg_.on_last_claim();
  SteadyTime sent = clock_.Now();  // about when the host counted it (for the bucket)
  HttpResponse resp = http_.Fetch(req);
  n_.bytes_in += resp.body.size();
  if (resp.transport == TransportError::kCancelled && cfg_.stopping()) {  // abandoned for the stop
    scheduler_.Return(c);
    return true;
  }
  Verdict v = Classify(resp, clock_.WallNow());
  auto failed = [&](Scheduler::Failure f) {
    Scheduler::Retry r = scheduler_.Failed(c, f, v.retry_after);
    if (!r.give_up && !r.full_tile)
      LOG_DEBUG("{}: {}; retry in {:.2f}s", req.url, Describe(resp),
                std::chrono::duration<double>(r.delay).count());
    return r;
  };

  switch (v.disposition) {
    case Disposition::kSuccess:
      bucket_.OnSuccess(sent);
      scheduler_.Fetched(c);  // before the decoders can report it
      return out.Push(FetchedReply{c, std::move(req.url), std::move(resp.body)});
    case Disposition::kThrottled: {
      ++n_.throttled;
      bucket_.OnThrottled(sent, v.retry_after);
      Scheduler::Retry r = failed(Scheduler::Failure::kThrottled);
      if (r.give_up) control_.Fail(Unavailable(fmt::format("{}: throttled {} times", req.url, r.tries)));
      return true;
    }
    case Disposition::kStale: {
      // A start beyond a lagging backend: not an overload, just "not yet"; the tree head is re-read.
      ++n_.retries;
      Scheduler::Retry r = failed(Scheduler::Failure::kStale);
      if (r.give_up)
        control_.Fail(Unavailable(fmt::format("{}: {} for {} tries (the log's backends lag behind its tree head)",
                                              req.url, Describe(resp), r.tries)));
      else if (cfg_.on_stale)
        cfg_.on_stale();
      return true;
    }
    case Disposition::kRetry:
    case Disposition::kNotFound: {
      ++n_.retries;
      Scheduler::Retry r = failed(v.disposition == Disposition::kNotFound ? Scheduler::Failure::kNotFound
                                                                          : Scheduler::Failure::kRetry);
      if (r.full_tile) LOG_DEBUG("{}: HTTP 404; fetching the full tile instead", req.url);
      if (r.give_up)
        control_.Fail(Unavailable(fmt::format("{}: {} (after {} attempts)", req.url, Describe(resp), r.tries)));
      return true;
    }
    case Disposition::kFatal:
      scheduler_.Failed(c, Scheduler::Failure::kFatal);
      control_.Fail(Unavailable(fmt::format("{}: {} (retrying will not help)", req.url, Describe(resp))));
      return true;
  }
  return true;
}

}  // namespace ctdl
