#include "sync/log_mirror.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/log.h"
#include "ct/rfc6962_requests.h"
#include "sync/log_source.h"
#include "sync/verify_step.h"

namespace ctdl {

namespace {
constexpr Duration kMaxErrorPause = std::chrono::minutes(10);
constexpr Duration kRateWindow = std::chrono::seconds(20);

bool FinalState(const std::string& list_state) { return list_state == "readonly" || list_state == "retired"; }

// Errors after which following this log cannot help: a proof failed, another process owns the log,
// the archive needs a human, or a bug.
bool FatalForLog(const Status& s) {
  switch (s.code()) {
    case Code::kVerifyFailed:
    case Code::kConflict:
    case Code::kCorrupt:
    case Code::kInvalidArgument:
    case Code::kInternal:
      return true;
    default:
      return false;
  }
}

Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }
}  // namespace

LogMirror::LogMirror(std::string url, const DownloadOptions& options, const DownloadContext& context,
                     TokenBucket* host_bucket, HttpClient* http, std::atomic<int64_t>* inflight,
                     PipelineTuning tuning)
    : url_(NormalizeLogUrl(url)),
      options_(options),
      ctx_(context),
      bucket_(host_bucket),
      tuning_(tuning),
      meter_(http, inflight),
      run_options_(options),
      rng_(std::random_device{}()) {
  ctx_.http = &meter_;
  ctx_.progress = nullptr;
  base_.url = url_;
  base_.following = options.follow;
}

LogMirror::~LogMirror() = default;

bool LogMirror::Stopping() const { return ctx_.stop_signals && ctx_.stop_signals->load() > 0; }

bool LogMirror::WaitUntil(SteadyTime t) {
  for (;;) {
    if (Stopping()) return false;
    SteadyTime now = ctx_.clock->Now();
    if (now >= t) return true;
    // Short enough for a graceful stop within a second, long enough to cost nothing when idle.
    ctx_.clock->SleepFor(std::min<Duration>(t - now, std::chrono::milliseconds(500)));
  }
}

void LogMirror::SetActivity(std::string activity) {
  std::lock_guard<std::mutex> l(mu_);
  base_.activity = std::move(activity);
}

void LogMirror::Finish(std::string status) {
  std::lock_guard<std::mutex> l(mu_);
  base_.status = std::move(status);
  base_.activity.clear();
  base_.finished = true;
  finished_at_ = ctx_.clock->Now();
}

LogProgress LogMirror::Snapshot() const {
  SteadyTime now = ctx_.clock->Now();
  std::lock_guard<std::mutex> l(mu_);
  LogProgress p = base_;
  if (current_) {
    LogProgress r = current_->Snapshot();
    if (!start_set_) p.start = r.start;
    p.position = r.position;
    p.committed = r.committed;
    p.verified = std::max(p.verified, r.verified);
    p.tree_size = std::max(p.tree_size, r.tree_size);
    p.target = options_.follow ? std::max(p.tree_size, r.target) : r.target;
    p.last_commit_unix = std::max(p.last_commit_unix, r.last_commit_unix);
    p.bytes_out += r.bytes_out;
    p.retries += r.retries;
    p.throttled += r.throttled;
    p.bad_entries += r.bad_entries;
    p.segments += r.segments;
  }
  p.requests = meter_.counts();
  p.bytes_in = p.requests.bytes_in;
  if (started_ != SteadyTime{})
    p.seconds = std::chrono::duration<double>((p.finished ? finished_at_ : now) - started_).count();
  if (!p.finished) {
    if (samples_.empty() || now - samples_.back().first >= std::chrono::seconds(1))
      samples_.emplace_back(now, p.position);
    while (samples_.size() > 2 && now - samples_.front().first > kRateWindow) samples_.pop_front();
    double span = std::chrono::duration<double>(now - samples_.front().first).count();
    if (span >= 1 && p.position >= samples_.front().second)
      p.recent_rate = double(p.position - samples_.front().second) / span;
  }
  return p;
}

// ---- one run -----------------------------------------------------------------------------------

Status LogMirror::RunOnce(std::optional<uint64_t> end) {
  run_options_ = options_;
  run_options_.end = end;
  {
    std::lock_guard<std::mutex> l(mu_);
    current_ = std::make_unique<LogDownload>(url_, run_options_, ctx_, bucket_, tuning_);
    if (options_.follow) base_.activity = "downloading";
  }
  Status s = current_->Run();
  std::lock_guard<std::mutex> l(mu_);
  LogProgress r = current_->Snapshot();
  if (!start_set_) base_.start = r.start;
  start_set_ = true;
  base_.position = r.committed;  // buffered entries beyond it were dropped with the run
  base_.committed = r.committed;
  base_.verified = std::max(base_.verified, r.verified);
  base_.tree_size = std::max(base_.tree_size, r.tree_size);
  base_.target = options_.follow ? base_.tree_size : r.target;
  base_.last_commit_unix = std::max(base_.last_commit_unix, r.last_commit_unix);
  base_.bytes_out += r.bytes_out;
  base_.retries += r.retries;
  base_.throttled += r.throttled;
  base_.bad_entries += r.bad_entries;
  base_.segments += r.segments;
  base_.status = r.status;
  current_.reset();
  return s;
}

Status LogMirror::Run() {
  {
    std::lock_guard<std::mutex> l(mu_);
    started_ = ctx_.clock->Now();
  }
  if (!options_.follow) {
    Status s = RunOnce(options_.end);
    std::string status;
    {
      std::lock_guard<std::mutex> l(mu_);
      status = base_.status;
    }
    Finish(status);
    return s;
  }
  Status s = Follow();
  if (!s.ok()) {
    LOG_ERROR("{}: {}", url_, s.message());
    Finish(s.message());
    return s;
  }
  return s;
}

// ---- following ---------------------------------------------------------------------------------

Status LogMirror::CheckHead(const std::string& text) {
  bool check = options_.verify;
  std::optional<LogVerifier> verifier;
  if (check) {
    auto v = VerifierForLog(state_);
    if (v.ok()) {
      verifier = std::move(v).value();
    } else {
      check = false;
      if (!no_key_warned_) LOG_WARN("{}: {}; its tree heads are not verified", url_, v.status().message());
      no_key_warned_ = true;
    }
  }
  TRY_ASSIGN(TreeHead head, check ? VerifyTreeHead(state_, *verifier, text) : ParseTreeHead(state_, text));
  uint64_t stored_size = state_.tree_size;
  std::optional<TreeHead> stored;
  if (!state_.sth.empty())
    if (auto old = ParseTreeHead(state_, state_.sth); old.ok()) stored = *old;
  if (check && stored && stored->size > 0) {
    ProofFetch pf;
    pf.attempts = 4;
    pf.timeout = tuning_.request_timeout;
    pf.stop = ctx_.stop_signals;
    if (state_.log_type == "tiled" && !tiles_) tiles_ = HttpTileFetcher(meter_, url_, pf);
    const TileFetcher* tiles = tiles_ ? &*tiles_ : nullptr;
    if (head.size >= stored->size) {
      TRY(ProveExtends(meter_, state_, stored->size, stored->root, head.size, head.root, pf, tiles));
    } else {
      // A lagging frontend: fine if its head is a prefix of the stored one; nothing new then.
      TRY(ProveExtends(meter_, state_, head.size, head.root, stored->size, stored->root, pf, tiles));
      LOG_DEBUG("{}: tree head of size {} is older than the stored {}; ignored", url_, head.size,
                stored->size);
      return Status::Ok();
    }
  }
  if (head.size > stored_size || state_.sth.empty()) {
    TRY(ctx_.store->UpdateTreeHead(url_, head.size, text));
    state_.tree_size = std::max(stored_size, head.size);
    state_.sth = text;
  }
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.clock->WallNow().time_since_epoch()).count();
  if (state_.mmd > 0 && head.timestamp > 0 && now_ms - int64_t(head.timestamp) > state_.mmd * 1000 &&
      mmd_warned_for_ != int64_t(head.timestamp)) {
    mmd_warned_for_ = int64_t(head.timestamp);
    LOG_WARN("{}: its newest tree head is {} s old, more than its MMD of {} s", url_,
             (now_ms - int64_t(head.timestamp)) / 1000, state_.mmd);
  }
  std::lock_guard<std::mutex> l(mu_);
  base_.tree_size = std::max(base_.tree_size, state_.tree_size);
  base_.target = base_.tree_size;
  if (head.size >= base_.tree_size) base_.sth_timestamp_ms = int64_t(head.timestamp);
  return Status::Ok();
}

Status LogMirror::Poll() {
  TRY(ReadState());
  return PollHead();
}

Status LogMirror::ReadState() {
  TRY_ASSIGN(std::optional<LogState> st, ctx_.store->Get(url_));
  if (!st) return NotFound(url_ + ": not registered in the state");
  state_ = std::move(*st);
  final_ = FinalState(state_.list_state);
  {
    std::lock_guard<std::mutex> l(mu_);
    base_.log_id = state_.log_id;
    if (!start_set_) base_.start = state_.position;
    start_set_ = true;
    base_.committed = state_.position;
    base_.position = state_.position;
    base_.verified = std::max(base_.verified, std::min(state_.verified_size, state_.position));
  }
  return Status::Ok();
}

Status LogMirror::PollHead() {
  ProofFetch pf;
  pf.attempts = 3;
  pf.timeout = tuning_.request_timeout;
  pf.stop = ctx_.stop_signals;
  std::string head_url = NewLogSource(state_, false)->TreeHeadUrl();
  TRY_ASSIGN(std::string text, FetchWithRetries(meter_, head_url, pf));
  return CheckHead(text);
}

Duration LogMirror::PollInterval() {
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  return Seconds(options_.poll_seconds * jitter(rng_));
}

// A run of a log far behind can take hours: the run goes on another thread while this one keeps
// polling the tree head, so the stored head, its age and the entries behind stay current (status,
// metrics). A head that fails here is warned about and checked again by the Poll after the run
// (which then stops the log if it still fails); the run itself only uses the heads it started with.
Status LogMirror::RunWhilePolling(uint64_t end, SteadyTime* next_poll) {
  std::atomic<bool> done{false};
  Status run;
  std::thread runner([&] {
    run = RunOnce(end);
    done = true;
  });
  bool head_failed = false, polled = false;
  while (!done.load()) {
    SteadyTime now = ctx_.clock->Now();
    if (now >= *next_poll && !Stopping() && !head_failed) {
      Status h = PollHead();
      polled = true;
      if (!h.ok() && h.code() != Code::kCancelled && !Stopping()) {
        LOG_WARN("{}: {} (tree head polled during a download; checked again when it ends)", url_,
                 h.message());
        head_failed = FatalForLog(h);
      }
      growth_.Observe(ctx_.clock->Now(), state_.tree_size);
      *next_poll = ctx_.clock->Now() + PollInterval();
      continue;
    }
    Duration nap = std::chrono::milliseconds(100);
    if (*next_poll > now && !Stopping() && !head_failed) nap = std::min<Duration>(nap, *next_poll - now);
    ctx_.clock->SleepFor(nap);
  }
  runner.join();
  // The list state (readonly?) is read with the state; a long run polled only the head.
  if (polled && !Stopping())
    if (Status st = ReadState(); !st.ok()) LOG_WARN("{}: {}; read again at the next poll", url_, st.message());
  return run;
}

Status LogMirror::Follow() {
  int errors = 0;
  SteadyTime next_poll = ctx_.clock->Now();
  auto pause_after = [&](const Status& s) {
    ++errors;
    Duration pause = Seconds(options_.poll_seconds) * (1 << std::min(errors - 1, 10));
    pause = std::min(std::max(pause, Duration(std::chrono::seconds(1))), kMaxErrorPause);
    LOG_WARN("{}: {}; trying again in {:.0f} s", url_, s.message(),
             std::chrono::duration<double>(pause).count());
    SetActivity(
        fmt::format("retrying in {:.0f} s: {}", std::chrono::duration<double>(pause).count(), s.message()));
    next_poll = ctx_.clock->Now() + pause;
  };
  for (;;) {
    if (Stopping()) break;
    SteadyTime now = ctx_.clock->Now();
    if (now >= next_poll) {
      Status s = Poll();
      if (s.code() == Code::kCancelled || Stopping()) break;
      if (!s.ok()) {
        if (FatalForLog(s) || s.code() == Code::kNotFound) return s;
        pause_after(s);
        WaitUntil(next_poll);
        continue;
      }
      errors = 0;
      next_poll = ctx_.clock->Now() + PollInterval();
      growth_.Observe(ctx_.clock->Now(), state_.tree_size);
    }
    uint64_t committed = state_.position;
    if (options_.end && committed >= *options_.end) {
      Finish("complete");
      return Status::Ok();
    }
    PlanInput in;
    in.committed = committed;
    in.tree_size = state_.tree_size;
    in.segment_entries = options_.segment_entries;
    in.rotate = Seconds(options_.rotate_seconds);
    in.final = final_;
    RunPlan plan = PlanRun(in, growth_, ctx_.clock->Now());
    if (plan.run) {
      uint64_t end = options_.end ? std::min(plan.end, *options_.end) : plan.end;
      Status s = RunWhilePolling(end, &next_poll);
      {
        std::lock_guard<std::mutex> l(mu_);
        state_.position = base_.committed;
      }
      growth_.Forget(state_.position);
      if (Stopping()) break;
      if (!s.ok()) {
        if (FatalForLog(s)) return s;
        pause_after(s);
        WaitUntil(next_poll);
      }
      continue;
    }
    if (final_ && state_.tree_size <= committed) {
      LOG_INFO("{}: complete at {} (the log is {}: no longer polled)", url_, committed, state_.list_state);
      Finish(fmt::format("complete ({})", state_.list_state));
      return Status::Ok();
    }
    SteadyTime wake = next_poll;
    if (plan.rotate_at) {
      wake = std::min(wake, *plan.rotate_at);
      SetActivity(
          fmt::format("{} new entries wait for the segment to fill or rotate", state_.tree_size - committed));
    } else {
      SetActivity(state_.tree_size > committed ? fmt::format("{} new entries wait for the segment to fill",
                                                             state_.tree_size - committed)
                                               : "caught up");
    }
    if (!WaitUntil(wake)) break;
  }
  uint64_t at;
  std::string last;
  {
    std::lock_guard<std::mutex> l(mu_);
    at = base_.committed;
    last = base_.status;
  }
  if (last.rfind("stopped at", 0) != 0)
    LOG_INFO("{}: stopped at index {} (committed; resume with the same command)", url_, at);
  Finish(fmt::format("stopped at {}", at));
  return Status::Ok();
}

}  // namespace ctdl
