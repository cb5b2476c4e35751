#include "sync/download.h"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "base/log.h"
#include "ct/rfc6962_requests.h"
#include "sink/segment.h"
#include "sync/distributed.h"
#include "sync/host_rates.h"
#include "sync/http_meter.h"
#include "sync/log_mirror.h"
#include "sync/progress.h"
#include "x509/schema.h"

namespace ctdl {
namespace {

Status CheckOptions(const DownloadOptions& options) {
  if (options.segment_entries == 0) return InvalidArgument("--segment-entries must be at least 1");
  if (options.max_inflight < 1) return InvalidArgument("--max-inflight must be at least 1");
  if (options.max_rps < 0) return InvalidArgument("--max-rps must not be negative");
  if (options.max_host_inflight < 0) return InvalidArgument("--max-host-inflight must not be negative");
  if (options.follow && !(options.poll_seconds > 0))
    return InvalidArgument("--poll-seconds must be positive");
  if (options.rotate_seconds < 0) return InvalidArgument("--rotate-seconds must not be negative");
  return ParseCompression(options.compression).status();
}

// The logs of one download: a mirror and a thread each, started as URLs come (at the start, and
// from refreshes). Logs() and Process() may be called from any thread.
class Mirrors : public DownloadView {
 public:
  Mirrors(const DownloadOptions& options, const DownloadContext& context)
      : options_(options), context_(context), buckets_(context.store, options.max_rps) {}
  ~Mirrors() override { JoinAll(); }

  // Starts the log unless it runs already.
  void Start(const std::string& u) {
    std::string url = NormalizeLogUrl(u);
    std::lock_guard<std::mutex> l(mu_);
    if (!seen_.insert(url).second) return;
    auto state = context_.store->Get(url);
    std::string op = state.ok() && state->has_value() ? (*state)->operator_name : "";
    TokenBucket* bucket = buckets_.For(url, op);  // at the rate learnt earlier (sync/host_rates.h)
    auto& budget = budgets_[UrlHost(url)];
    if (!budget)
      budget = std::make_unique<HostBudget>(context_.http, options_.max_host_inflight, context_.stop_signals);
    mirrors_.push_back(
        std::make_unique<LogMirror>(url, options_, context_, bucket, budget.get(), &inflight_));
    results_.emplace_back();
    LogMirror* m = mirrors_.back().get();
    Status* result = &results_.back();
    threads_.emplace_back([this, m, result] {
      Status s = m->Run();
      std::lock_guard<std::mutex> l(mu_);
      *result = std::move(s);
      ++done_;
      cv_.notify_all();
    });
  }

  // Waits until every started log finished, or (keep_waiting) until stop() says so.
  void Wait(const std::function<bool()>& keep_waiting) {
    std::unique_lock<std::mutex> l(mu_);
    while (done_ < mirrors_.size() || keep_waiting()) cv_.wait_for(l, std::chrono::milliseconds(200));
  }
  void JoinAll() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> l(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  Status SaveRates() {
    std::lock_guard<std::mutex> l(mu_);
    return buckets_.Save();
  }
  Status FirstError() const {
    std::lock_guard<std::mutex> l(mu_);
    for (const Status& s : results_)
      if (!s.ok()) return s;
    return Status::Ok();
  }

  std::vector<LogProgress> Logs() const override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<LogProgress> v;
    v.reserve(mirrors_.size());
    for (const auto& m : mirrors_) v.push_back(m->Snapshot());
    return v;
  }
  ProcessProgress Process() const override {
    ProcessProgress p;
    p.inflight_requests = inflight_.load();
    if (context_.http) p.http = context_.http->Stats();
    std::lock_guard<std::mutex> l(mu_);
    p.logs = mirrors_.size();
    return p;
  }

 private:
  const DownloadOptions& options_;
  const DownloadContext& context_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  HostBuckets buckets_;  // --max-rps and the learnt rate limit, per host (under mu_)
  std::map<std::string, std::unique_ptr<HostBudget>> budgets_;  // --max-host-inflight, per host
  std::set<std::string> seen_;
  std::vector<std::unique_ptr<LogMirror>> mirrors_;
  std::deque<Status> results_;  // stable addresses
  std::vector<std::thread> threads_;
  size_t done_ = 0;
  std::atomic<int64_t> inflight_{0};
};

bool Stopped(const DownloadContext& c) { return c.stop_signals && c.stop_signals->load() > 0; }

}  // namespace

// The archive's schema object (x509/schema.h), so loaders can name every column: written once when
// absent, never rewritten (an object already there, even a different one, is left as it is).
static Status EnsureRecordSchema(Archive* archive) {
  const std::string key(x509::kSchemaKey);
  auto have = archive->Get(key);
  if (have.ok()) {
    if (*have != x509::RecordSchemaJson())
      LOG_WARN("{}: {} differs from this version's record schema; left as it is", archive->Describe(), key);
    return Status::Ok();
  }
  if (have.status().code() != Code::kNotFound) return have.status();
  Status put = archive->Put(key, x509::RecordSchemaJson());
  // Another process wrote it meanwhile (distributed workers start together; on a server that
  // writes in place, s3rver, its upload in progress looks like other bytes): left as it is.
  if (put.code() == Code::kConflict) return Status::Ok();
  return put;
}

Status RunDownload(const DownloadOptions& options, const DownloadContext& context) {
  if (!context.store || !context.archive || !context.http || !context.clock)
    return Internal("RunDownload: store, archive, http and clock are required");
  if (options.urls.empty() && !(options.follow && context.refresh))
    return InvalidArgument("download: name at least one log URL");
  TRY(CheckOptions(options));
  TRY(EnsureRecordSchema(context.archive));
  if (options.distributed) return RunDistributed(options, context);
  for (const std::string& u : options.urls) {  // chunk items beyond the position are other workers'
    TRY_ASSIGN(auto chunks, context.store->ListChunks(NormalizeLogUrl(u)));
    if (!chunks.empty())
      return Conflict(fmt::format(
          "{} is downloaded with --distributed (chunks of {} entries in the state): add --distributed "
          "(a plain download would collide with the other workers' segments); nothing was written",
          NormalizeLogUrl(u), chunks.front().size));
  }

  Mirrors mirrors(options, context);
  ProgressSink* sink = context.progress;
  if (sink) sink->Attach(&mirrors);
  for (const std::string& u : options.urls) mirrors.Start(u);

  // Reporter (and refresher): the pace is real time (it only draws), the numbers come from the
  // injected clock.
  std::mutex mu;
  std::condition_variable cv;
  bool all_done = false;
  bool refreshing = options.follow && context.refresh && context.refresh_seconds > 0;
  std::thread reporter([&] {
    auto interval =
        std::chrono::duration<double>(options.progress_interval > 0 ? options.progress_interval : 5);
    SteadyTime next_refresh =
        context.clock->Now() +
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(context.refresh_seconds));
    std::unique_lock<std::mutex> l(mu);
    SteadyTime saved = context.clock->Now();
    while (!cv.wait_for(l, interval, [&] { return all_done; })) {
      l.unlock();
      if (sink) sink->Update(mirrors.Logs());
      if (context.clock->Now() - saved >= std::chrono::seconds(60)) {  // learnt rates survive a kill
        saved = context.clock->Now();
        (void)mirrors.SaveRates();
      }
      if (refreshing && !Stopped(context) && context.clock->Now() >= next_refresh) {
        next_refresh = context.clock->Now() + std::chrono::duration_cast<Duration>(
                                                  std::chrono::duration<double>(context.refresh_seconds));
        auto urls = context.refresh();
        if (!urls.ok())
          LOG_WARN("refreshing the log list: {}; trying again later", urls.status().message());
        else
          for (const auto& u : *urls) mirrors.Start(u);
      }
      l.lock();
    }
  });
  // With a refresh, new logs may come any time: wait for the signal, not for the logs.
  mirrors.Wait([&] { return refreshing && !Stopped(context); });
  {
    std::lock_guard<std::mutex> l(mu);
    all_done = true;
  }
  cv.notify_all();
  reporter.join();
  mirrors.JoinAll();
  if (sink) {
    sink->Finish(mirrors.Logs());
    sink->Attach(nullptr);
  }
  if (Status s = mirrors.SaveRates(); !s.ok())
    LOG_WARN("the learnt rate limits were not stored ({}); the next run learns them again", s.ToString());
  return mirrors.FirstError();
}

}  // namespace ctdl
