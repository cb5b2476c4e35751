#include "sync/scheduler.h"

#include <algorithm>
#include <cmath>

namespace ctdl {

namespace {
// A 429's Retry-After longer than this pauses every range of the log, not only the throttled one.
constexpr Duration kGlobalPauseAbove = std::chrono::seconds(5);
}  // namespace

Scheduler::Scheduler(Config config, LogSource* source, Clock* clock, const TokenBucket* pacing,
                     std::function<bool()> stopping)
    : cfg_(std::move(config)),
      source_(source),
      clock_(clock),
      pacing_(pacing),
      stopping_(std::move(stopping)),
      position_(cfg_.position),
      aimd_(cfg_.initial_inflight, cfg_.max_inflight),
      ramp_(cfg_.start_doubling),
      rng_(std::random_device{}()) {
  if (cfg_.position < cfg_.target) {
    Range all;
    all.end = cfg_.target;
    ranges_[cfg_.position] = all;
    ++count_[static_cast<int>(State::kPending)];
  }
}

void Scheduler::SetState(Range& r, State s) {
  --count_[static_cast<int>(r.state)];
  ++count_[static_cast<int>(s)];
  r.state = s;
}

bool Scheduler::FinishedLocked() const {
  return count_[static_cast<int>(State::kPending)] + count_[static_cast<int>(State::kInFlight)] +
             count_[static_cast<int>(State::kDecoding)] ==
         0;
}

void Scheduler::EndRampIfDone() {
  // The ramp is over once AIMD would allow as much, or the host's pace is known (a restart's stored
  // rate, or a 429 to another log on the same host): the usual rules from then on.
  if (ramp_.on() && (aimd_.limit() >= cfg_.max_inflight || (pacing_ && pacing_->learned_rps() > 0)))
    ramp_.End();
}

int Scheduler::LimitLocked() const {
  if (ramp_.on()) return ramp_.Window(cfg_.max_inflight);
  int limit = aimd_.limit();
  // Paced by a learnt rate limit: requests beyond half a second of pacing slots only queue up in
  // the bucket, and a retried range (the one the committer waits for) would queue behind them.
  if (pacing_)
    if (double rps = pacing_->learned_rps(); rps > 0)
      limit = std::min(limit, std::max(2, static_cast<int>(std::ceil(rps * 0.5))));
  return limit;
}

uint64_t Scheduler::WindowLocked() const {
  return std::max<uint64_t>(cfg_.window_entries, 4 * source_->RequestSize());
}

Scheduler::Range* Scheduler::Find(const Claim& c, State expected) {
  auto it = ranges_.find(c.start);
  if (it == ranges_.end() || it->second.state != expected) return nullptr;
  return &it->second;
}

Scheduler::Attempt Scheduler::TryClaimLocked(SteadyTime now, bool take) {
  Attempt a;
  if (closed_ || FinishedLocked()) {
    a.finished = true;
    return a;
  }
  if (count_[static_cast<int>(State::kPending)] == 0) return a;  // wait for a report
  if (take) EndRampIfDone();  // (a look without taking keeps the ramp: at worst one wake too many)
  if (count_[static_cast<int>(State::kInFlight)] >= static_cast<size_t>(LimitLocked())) return a;
  if (probes_ > 0 && source_->Probing() && !ramp_.on()) return a;
  if (pause_until_ > now) {
    a.ready_at = pause_until_;
    return a;
  }
  if (std::optional<SteadyTime> at = ramp_.NextAt(now)) {
    a.ready_at = at;
    return a;
  }
  const uint64_t window_end = position_ + WindowLocked();
  for (auto it = ranges_.begin(); it != ranges_.end() && it->first < window_end; ++it) {
    Range& r = it->second;
    if (r.state != State::kPending) continue;
    if (r.not_before > now) {
      if (!a.ready_at || r.not_before < *a.ready_at) a.ready_at = r.not_before;
      continue;
    }
    if (!take) {  // WakeUsefulLocked: something is claimable, nothing changed
      a.claim = Claim{};
      return a;
    }
    const uint64_t start = it->first;
    const uint64_t end = source_->RequestEnd(start, r.end);
    if (end < r.end) {  // the rest stays pending, with counters of its own
      Range rest;
      rest.end = r.end;
      ranges_.emplace(end, rest);
      ++count_[static_cast<int>(State::kPending)];
      r.end = end;
    }
    SetState(r, State::kInFlight);
    r.claimed_at = now;
    Claim c;
    c.start = start;
    c.end = end;
    c.full_tile = r.full_tile;
    c.probe = source_->Probing();
    if (c.probe) ++probes_;
    ramp_.Claimed(now);
    a.claim = c;
    return a;
  }
  return a;  // pending ranges beyond the window wait for SetPosition; others for their backoff
}

bool Scheduler::WakeUsefulLocked(SteadyTime now) {
  Attempt a = TryClaimLocked(now, false);
  return a.claim || a.finished || (a.ready_at && !sleeper_);
}

Scheduler::Attempt Scheduler::TryClaim() {
  std::lock_guard<std::mutex> l(mu_);
  return TryClaimLocked(clock_->Now());
}

std::optional<Scheduler::Claim> Scheduler::Next() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (stopping_ && stopping_()) return std::nullopt;
    SteadyTime now = clock_->Now();
    Attempt a = TryClaimLocked(now);
    if (a.claim) {
      // More may be claimable (a backoff ended for several, the window moved): pass it on to one
      // more waiting fetcher, which does the same. Never wake them all for one slot.
      const bool more = WakeUsefulLocked(now);
      l.unlock();
      if (more) cv_.notify_one();
      return a.claim;
    }
    if (a.finished) return std::nullopt;
    if (a.ready_at && !sleeper_) {  // one fetcher waits for the backoff on the (injected) clock
      sleeper_ = true;
      Duration d = std::min<Duration>(*a.ready_at - now, cfg_.poll);
      l.unlock();
      clock_->SleepFor(d);
      l.lock();
      sleeper_ = false;
      continue;
    }
    // A report, the window, or the poll for `stopping`. Reports wake a waiter only when it would
    // find something to do (WakeUsefulLocked), so a wake that finds nothing is counted.
    if (cv_.wait_for(l, cfg_.poll) == std::cv_status::no_timeout && !WakeUsefulLocked(clock_->Now()) &&
        !(stopping_ && stopping_()))
      ++idle_wakeups_;
  }
}

// Reports wake waiting fetchers after the lock is released (a waiter woken under it would only block
// on the mutex), and only when one would find something to do: a 200 frees a fetch slot, but while
// the memory window is full (the usual case against a fast log) a woken fetcher found nothing and
// went back to sleep, two to three times per reply (measured, bench/analysis.md).
void Scheduler::Notify(std::unique_lock<std::mutex>& l, Wakes w) {
  if (w == Wakes::kUseful && !WakeUsefulLocked(clock_->Now())) return;
  l.unlock();
  if (w == Wakes::kAll) cv_.notify_all();
  else cv_.notify_one();
}

void Scheduler::Fetched(const Claim& c) {
  std::unique_lock<std::mutex> l(mu_);
  if (Range* r = Find(c, State::kInFlight)) {
    SetState(*r, State::kDecoding);
    if (ramp_.on()) ramp_.Replied(clock_->Now() - r->claimed_at);
  }
  Notify(l, Wakes::kUseful);  // one fetch slot freed: one waiting fetcher is enough
}

void Scheduler::Return(const Claim& c) {
  std::unique_lock<std::mutex> l(mu_);
  if (Range* r = Find(c, State::kInFlight)) SetState(*r, State::kPending);
  if (c.probe && probes_ > 0) --probes_;
  Notify(l, Wakes::kUseful);
}

Scheduler::Retry Scheduler::Failed(const Claim& c, Failure f, std::optional<Duration> retry_after) {
  std::unique_lock<std::mutex> l(mu_);
  Retry out;
  auto it = ranges_.find(c.start);
  if (it == ranges_.end() ||
      (it->second.state != State::kInFlight && it->second.state != State::kDecoding))
    return out;
  Range& r = it->second;
  const SteadyTime now = clock_->Now();
  ramp_.End();  // a host that failed anything is not one to rush
  // tries: this kind's failures so far; delay_step: the backoff step (capped for throttling and
  // stale backends, whose waits stay short however often they come).
  auto backoff = [&](int tries, int limit, int delay_step) {
    out.tries = tries;
    out.give_up = tries >= limit;
    out.delay = cfg_.backoff.Delay(std::max(1, delay_step), rng_);
    if (retry_after) out.delay = std::max(out.delay, *retry_after);
  };
  switch (f) {
    case Failure::kThrottled:
      aimd_.OnCongestion();
      // The throttled range waits its Retry-After; the others go on at the paced rate the bucket
      // just lowered. Everyone stops only for a long Retry-After.
      if (retry_after && *retry_after > kGlobalPauseAbove)
        pause_until_ = std::max(pause_until_, now + *retry_after);
      ++r.throttled;
      backoff(r.throttled, cfg_.max_throttled, std::min(r.throttled, 8));
      break;
    case Failure::kStale:  // not an overload, just "not yet"
      ++r.stale;
      backoff(r.stale, cfg_.max_stale, std::min(r.stale, 4));
      break;
    case Failure::kNotFound:
      // A partial tile the log deleted once the full tile existed: the same entries, from the full
      // tile, at once. Should that 404 too, go back to the partial tile (with backoff, counted).
      if (!r.full_tile && source_->Has404Fallback({c.start, c.end, false})) {
        r.full_tile = true;
        out.full_tile = true;
        out.tries = r.attempts;
        break;
      }
      r.full_tile = false;
      ++r.attempts;
      backoff(r.attempts, cfg_.max_attempts, r.attempts);
      break;
    case Failure::kRetry:
      aimd_.OnCongestion();
      ++r.attempts;
      backoff(r.attempts, cfg_.max_attempts, r.attempts);
      break;
    case Failure::kBadReply:
      ++r.bad_json;
      backoff(r.bad_json, cfg_.max_bad_json, r.bad_json);
      break;
    case Failure::kEmpty:
      ++r.attempts;
      backoff(r.attempts, cfg_.max_attempts, r.attempts);
      break;
    case Failure::kFatal:
      out.tries = 1;
      out.give_up = true;
      break;
  }
  if (out.give_up) {
    SetState(r, State::kFailed);
  } else {
    r.not_before = now + out.delay;
    SetState(r, State::kPending);
  }
  if (c.probe && probes_ > 0) --probes_;
  // A probe that ended opens every slot; a failed range frees one.
  Notify(l, c.probe || FinishedLocked() ? Wakes::kAll : Wakes::kUseful);
  return out;
}

void Scheduler::Decoded(const Claim& c, uint64_t got) {
  std::unique_lock<std::mutex> l(mu_);
  Range* r = Find(c, State::kDecoding);
  if (c.probe && probes_ > 0) --probes_;
  if (r) {
    got = std::min(got, r->end - c.start);
    if (got == 0) {
      SetState(*r, State::kPending);  // nothing to deliver: ask again (callers report kEmpty)
    } else {
      source_->Observe(c.start, c.end - c.start, got);
      aimd_.OnSuccess();
      ramp_.Succeeded();
      if (c.start + got < r->end) {  // partial success: the rest goes back to the list
        Range rest;
        rest.end = r->end;
        ranges_.emplace(c.start + got, rest);
        ++count_[static_cast<int>(State::kPending)];
        r->end = c.start + got;
      }
      SetState(*r, State::kDone);
    }
  }
  // AIMD grew by one slot, or a partial reply's rest went back; a probe that ended opens every slot.
  Notify(l, c.probe || FinishedLocked() ? Wakes::kAll : Wakes::kUseful);
}

void Scheduler::SetPosition(uint64_t position) {
  std::unique_lock<std::mutex> l(mu_);
  position_ = std::max(position_, position);
  // Ranges the committer passed are history: drop them (bounded list).
  while (!ranges_.empty() && ranges_.begin()->second.state == State::kDone &&
         ranges_.begin()->second.end <= position_) {
    --count_[static_cast<int>(State::kDone)];
    ranges_.erase(ranges_.begin());
  }
  // The window moved: several ranges may be claimable, but one waiting fetcher is enough: each one
  // that claims passes the turn on (Next). notify_all here woke all --max-inflight fetchers once per
  // batch (measured: 13.6k of 17k context switches of a 200k-entry get-entries download).
  Notify(l, Wakes::kUseful);
}

void Scheduler::Close() {
  std::unique_lock<std::mutex> l(mu_);
  closed_ = true;
  Notify(l, Wakes::kAll);
}

void Scheduler::Wake() {
  std::unique_lock<std::mutex> l(mu_);
  Notify(l, Wakes::kAll);
}

uint64_t Scheduler::idle_wakeups() const {
  std::lock_guard<std::mutex> l(mu_);
  return idle_wakeups_;
}

size_t Scheduler::Count(State s) const {
  std::lock_guard<std::mutex> l(mu_);
  return count_[static_cast<int>(s)];
}

int Scheduler::inflight() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(count_[static_cast<int>(State::kInFlight)]);
}

int Scheduler::limit() const {
  std::lock_guard<std::mutex> l(mu_);
  return LimitLocked();
}

std::optional<SteadyTime> Scheduler::paused_until() const {
  std::lock_guard<std::mutex> l(mu_);
  if (pause_until_ == SteadyTime{}) return std::nullopt;
  return pause_until_;
}

}  // namespace ctdl
