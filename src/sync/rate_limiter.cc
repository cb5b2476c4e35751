#include "sync/rate_limiter.h"

#include <chrono>
#include <cmath>

#include "base/log.h"

namespace ctdl {

namespace {
constexpr Duration kHistory = std::chrono::seconds(10);  // replies the model replays ...
constexpr size_t kMinHistory = 32;                       // ... but at least these many ...
constexpr size_t kMaxHistory = 512;                      // ... and at most these many (a fit: ~2 ms)
constexpr double kSearchGrowth = 4.0;        // per second, hosts that send Retry-After
constexpr double kSearchGrowthPolite = 1.25; // per second, hosts that do not
constexpr double kMaxPauseSeconds = 60;
constexpr double kSlowProbe = 30;  // seconds of probing at probe_ (< kProbe once confirmed)
// A fit whose cost exceeds this per 429 (plus one reply) does not explain the 429s.
constexpr double kUnexplained = 1.0;

double Secs(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration Seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }
const char* ModeName(int mode) {
  static const char* const kNames[] = {"free", "search", "hold"};
  return kNames[mode];
}
}  // namespace

TokenBucket::TokenBucket(double max_rps, LearntRate known)
    : rps_(max_rps), cap_burst_(std::max(1.0, max_rps)), cap_tokens_(cap_burst_) {
  if (known.rps > 0) {
    known_ = true;
    mode_ = Mode::kHold;
    est_ = std::max(known.rps, kMinRps);
    burst_ = known.burst;
    retry_after_ = known.retry_after;
  }
}

Duration TokenBucket::CapWait(SteadyTime now) {
  if (rps_ <= 0) return Duration::zero();
  if (!cap_started_) {
    cap_started_ = true;
    cap_last_ = now;
  }
  if (now > cap_last_) {
    cap_tokens_ = std::min(cap_burst_, cap_tokens_ + Secs(now - cap_last_) * rps_);
    cap_last_ = now;
  }
  return cap_tokens_ >= 1 ? Duration::zero() : Seconds((1 - cap_tokens_) / rps_);
}

void TokenBucket::Tick(SteadyTime now) {
  if (!ticked_) first_ = now;
  if (ticked_ && now > last_tick_) active_ += std::min(1.0, Secs(now - last_tick_));
  if (!ticked_ || now > last_tick_) last_tick_ = now;
  ticked_ = true;
}

double TokenBucket::PaceLocked() const {
  double pace = 0, secs = active_;
  if (mode_ == Mode::kSearch) {
    double growth = retry_after_ ? kSearchGrowth : kSearchGrowthPolite;
    pace = base_ * std::pow(growth, std::min(secs, 30.0));
  } else if (mode_ == Mode::kHold) {
    // Back up to the model's rate at 5 %/s (a cut below it was caution), then probe at 1 %/s.
    double e = est_, fast = 0;
    if (model_ > est_) fast = std::min(secs, std::log(model_ / est_) / std::log(1 + kRecover));
    // The probe: probe_ per second for the first kSlowProbe seconds (slower once the rate was
    // confirmed), then kProbe again (a host that raised its limit is still found).
    double probing = std::min(secs - fast, 600.0), slow = std::min(probing, kSlowProbe);
    e *= std::pow(1 + kRecover, fast) * std::pow(1 + probe_, slow) * std::pow(1 + kProbe, probing - slow);
    pace = kHoldGain * e;
  }
  if (pace > 0 && rps_ > 0) pace = std::min(pace, rps_);
  return pace;
}

Duration TokenBucket::Reserve(SteadyTime now) {
  std::lock_guard<std::mutex> l(mu_);
  Tick(now);
  if (pause_until_ > now) return pause_until_ - now;
  double pace = PaceLocked();
  if (pace > 0 && next_slot_ > now) return next_slot_ - now;
  if (Duration w = CapWait(now); w > Duration::zero()) return w;
  if (rps_ > 0) cap_tokens_ -= 1;
  // The first slot after a reaction: requests sent from now on see the new pace; anything sent
  // before (granted before the 429 was known, even if its clock read came a moment after) is old news.
  if (fresh_pending_) {
    reacted_ = std::max(reacted_, now);
    fresh_pending_ = false;
  }
  // A fetcher that asks a little late (woken late on a busy machine) keeps the schedule: up to one
  // interval of lateness is not lost, so the pace is the pace, not 1 / (interval + wake-up delay).
  if (pace > 0) {
    Duration interval = Seconds(1.0 / pace);
    next_slot_ = std::max(next_slot_, now - interval) + interval;
  }
  return Duration::zero();
}

void TokenBucket::Record(RateEvent e) {
  auto it = history_.end();
  while (it != history_.begin() && std::prev(it)->sent > e.sent) --it;
  history_.insert(it, e);
  SteadyTime newest = history_.back().sent;
  while (history_.size() > kMaxHistory ||
         (history_.size() > kMinHistory && history_.front().sent + kHistory < newest)) {
    history_.pop_front();
    starts_full_ = false;
  }
}

void TokenBucket::OnSuccess(SteadyTime sent) {
  std::lock_guard<std::mutex> l(mu_);
  Record({sent, true});
  if (!reacted_once_ || (!fresh_pending_ && sent >= reacted_)) consecutive_ = 0;
}

void TokenBucket::OnThrottled(SteadyTime sent, std::optional<Duration> retry_after) {
  std::lock_guard<std::mutex> l(mu_);
  Record({sent, false});
  // A 429 of a request sent before the last reaction belongs to the same moment (it was in flight):
  // it informs the model below but does not cut again.
  if (reacted_once_ && (fresh_pending_ || sent < reacted_)) {
    LOG_DEBUG("rate limiter: 429 of a request sent at {:.3f}s: in flight at the last 429, no cut",
              Secs(sent - first_));
    return;
  }
  const char* was = ModeName(static_cast<int>(mode_));
  retry_after_ = retry_after.has_value();
  double pace = PaceLocked();
  ++consecutive_;
  if (mode_ == Mode::kFree) {
    // First 429: the rate the host served over the last second (or since our first request, at least
    // a quarter second: its burst, mostly, on a fast link), at most one request per Retry-After when
    // that is long; a host without Retry-After: the count served in the last second (gentler).
    // Then growing until the next 429.
    int served = 0;
    for (const RateEvent& e : history_) served += e.ok && e.sent + std::chrono::seconds(1) >= sent;
    double span = history_.empty() ? 1 : std::clamp(Secs(sent - history_.front().sent), 0.25, 1.0);
    double guess = std::max(1.0, served / (retry_after ? span : 1.0));
    if (retry_after && *retry_after >= std::chrono::seconds(2)) guess = std::min(guess, 1 / Secs(*retry_after));
    mode_ = Mode::kSearch;
    base_ = guess;
  } else {
    RateFit fit = FitTokenBucket({history_.begin(), history_.end()}, starts_full_);
    double probed = mode_ == Mode::kHold ? pace / kHoldGain : pace;
    int n429 = 0;
    for (const RateEvent& e : history_) n429 += !e.ok;
    if (fit.ok && fit.cost > kUnexplained * n429 + 1 && mode_ == Mode::kSearch && !known_) {
      // No token bucket explains these 429s (a host that throttles at random, overloaded now and
      // then): they are not a rate limit, and pacing would only spiral down. Unpaced again; each
      // throttled request still waits its Retry-After.
      mode_ = Mode::kFree;
    } else if (fit.ok && fit.cost > kUnexplained * n429 + 1) {
      // Not explained either, but a rate was learnt: keep it (the 429 cuts nothing).
    } else if (fit.ok) {
      // The middle of the rates that explain the replies equally well, and at least 3 % below the
      // rate that drew this 429 (a 429 always slows down; a host that lowers its limit is followed
      // within a few 429s, and precisely once the model's window sees the new limit). One 429 cuts
      // at most by half: over a short history a full bucket explains any burst with a rate near 0
      // (24 fast 200s, then random 429s: "burst 25, 0.01 req/s"), which would stall the download.
      // The pace recovers (5 %/s) to the fitted rate, but never beyond 97 % of the rate that drew
      // this 429: a fit above it is an overestimate (a steady pace just below the limit fits
      // "burst 1 at 21.5 req/s" as well as "burst 5 at 20"), and recovering to it drew the next 429
      // within 1-2 s, for hours. Beyond that point only the probe climbs.
      double mid = std::sqrt(fit.rps * fit.rps_high);
      double target = std::min(mid, probed * 0.97);
      bool confirmed = mode_ == Mode::kHold && model_ > 0 && std::abs(target / model_ - 1) <= kConfirmed;
      probe_ = confirmed ? std::max(kMinProbe, probe_ / 2) : kProbe;
      mode_ = Mode::kHold;
      est_ = std::clamp(mid, probed * 0.5, probed * 0.97);
      model_ = target;
      burst_ = fit.burst;
    } else if (mode_ == Mode::kSearch) {
      base_ = std::max(kMinRps, pace * 0.5);  // no success since: back off exponentially
    } else {
      est_ = probed * 0.9;
    }
    // Repeated 429s of a host without Retry-After: halve each time (it means it, and says no more).
    if (!retry_after_ && consecutive_ >= 2) {
      if (mode_ == Mode::kHold) est_ = std::min(est_, probed * 0.5);
      else base_ = std::min(base_, pace * 0.5);
    }
    est_ = std::max(est_, kMinRps);
    base_ = std::max(base_, kMinRps);
  }
  active_ = 0;
  if (!retry_after_) {
    double pause = std::min(kMaxPauseSeconds, std::ldexp(1.0, std::min(consecutive_ - 1, 10)));
    pause_until_ = std::max(pause_until_, sent + Seconds(pause));
  }
  // Requests sent before now (the latest time Reserve saw) were in flight when we learnt this.
  reacted_ = std::max(sent, last_tick_);
  reacted_once_ = true;
  fresh_pending_ = true;
  // The host's bucket is empty now: the next request waits one interval of the new pace from this
  // 429, however late the schedule was (else the first slots of a search, or after a cut, go out at
  // once, back to back, into the empty bucket).
  if (double p = PaceLocked(); p > 0) next_slot_ = reacted_ + Seconds(1.0 / p);
  LOG_DEBUG("rate limiter: 429 of a request sent at {:.3f}s ({}, reacting at {:.3f}s): now {}, pace {:.2f} "
            "req/s, model {:.2f} burst {:.1f}", Secs(sent - first_), was, Secs(reacted_ - first_),
            ModeName(static_cast<int>(mode_)), PaceLocked(), model_, burst_);
}

double TokenBucket::learned_rps() const {
  std::lock_guard<std::mutex> l(mu_);
  return PaceLocked();
}

LearntRate TokenBucket::learnt() const {
  std::lock_guard<std::mutex> l(mu_);
  LearntRate r;
  if (mode_ == Mode::kHold) r.rps = est_;
  r.burst = burst_;
  r.retry_after = retry_after_;
  return r;
}

}  // namespace ctdl
