// Per-host request pacing: the user's ceiling (--max-rps) and the host's rate limit learnt from its
// 429s (TokenBucket), and adaptive concurrency (Aimd) for one log's fetchers. The algorithm, its
// constants and what was measured: doc/rate-limits.md.
// Thread safety: TokenBucket is thread-safe (shared by every log on one host). Aimd is a plain value;
// the owner locks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "sync/rate_model.h"

namespace ctdl {

// What a TokenBucket learnt about its host; kept per host in the state store (HostRate) so the next
// run, or another log on the same host, starts at it instead of learning again.
struct LearntRate {
  double rps = 0;           // the host's rate limit, requests/s (0: nothing learnt)
  double burst = 0;         // its bucket size, requests (0: unknown)
  bool retry_after = true;  // its 429s carry Retry-After (false: DigiCert-like, be extra polite)
};

// Paces requests to one host. Reserve() returns zero when the caller may send now (the slot is taken),
// else how long to wait before asking again (nothing is taken: the pace may change meanwhile, e.g.
// after a 429, and the new pace applies at once). max_rps <= 0: no user ceiling.
//
// Without a known rate the host is not paced until its first 429. From then on ctdl replays its recent
// requests through a token-bucket model of the host (sync/rate_model.h) and paces at 95 % of the rate
// that explains the replies, probing upward by 1 %/s; each later 429 refits the model. Before the model
// has enough replies (right after the first 429) the pace starts at the rate the host served so far
// and grows 4x per second until the next 429, halving on a 429 with no success since the last one.
// A host whose 429s carry no Retry-After is also paused as a whole: 1 s after a 429, doubling per
// consecutive 429 up to 60 s, and its search pace creeps up by only 25 %/s.
class TokenBucket {
 public:
  explicit TokenBucket(double max_rps, LearntRate known = {});
  Duration Reserve(SteadyTime now);
  double rps() const { return rps_; }  // the user's ceiling (0: none)
  // Outcomes of the host's replies. `sent`: when the request was sent (about when the host counted
  // it; a 429 comes back sooner than a large 200 sent at the same moment). retry_after: the 429's
  // Retry-After, when it had one.
  void OnSuccess(SteadyTime sent);
  void OnThrottled(SteadyTime sent, std::optional<Duration> retry_after = std::nullopt);
  double learned_rps() const;  // the pace right now; 0: unpaced (no 429 seen, no rate known)
  LearntRate learnt() const;   // rps 0 until the model fitted (or a known rate was given)

  static constexpr double kMinRps = 0.01;
  static constexpr double kHoldGain = 0.95;  // pace = 95 % of the learnt rate ...
  static constexpr double kProbe = 0.01;     // ... growing by 1 %/s until the next 429
  static constexpr double kRecover = 0.05;   // per second, while below the model's rate
  // A 429 in hold whose refit lands within kConfirmed of the last fit confirms the host's rate: for
  // the next 30 s of probing the probe is slower (halved per confirmation, down to kMinProbe), then
  // kProbe again; a fit that moved resets it.
  static constexpr double kConfirmed = 0.05;
  static constexpr double kMinProbe = 0.0025;

 private:
  enum class Mode { kFree, kSearch, kHold };
  void Tick(SteadyTime now);  // advances active_ (at most 1 s per call: idle time does not count)
  double PaceLocked() const;
  void Record(RateEvent e);  // into history_, sorted by sent; trims to kHistory
  Duration CapWait(SteadyTime now);  // user ceiling: wait before a token is free (nothing taken)

  mutable std::mutex mu_;
  // User ceiling: a token bucket of rps_ with burst max(1, rps_).
  double rps_, cap_burst_, cap_tokens_;
  bool cap_started_ = false;
  SteadyTime cap_last_{};
  // Learning.
  Mode mode_ = Mode::kFree;
  std::deque<RateEvent> history_;
  bool starts_full_ = true;  // history_ begins with our first request (the host's bucket was full)
  double base_ = 0;    // kSearch: the pace after the last 429, growing per active second
  double est_ = 0;     // kHold: the host's rate after the last 429, growing by kProbe per active second
  double model_ = 0;   // kHold: the rate the model fitted last (0: none)
  double burst_ = 0;
  double probe_ = kProbe;  // kHold: growth per active second once at the model's rate
  double active_ = 0;  // seconds of requests asked for since the last 429 reacted to
  SteadyTime last_tick_{};
  SteadyTime first_{};  // the first Reserve (times in debug logs are from it)
  bool ticked_ = false;
  SteadyTime next_slot_{};
  SteadyTime pause_until_{};
  SteadyTime reacted_{};      // the last 429 reacted to: 429s of requests sent before it are old news
  bool reacted_once_ = false;
  bool fresh_pending_ = false;  // reacted, no slot granted since: every reply is of a request sent before
  int consecutive_ = 0;       // 429s reacted to since the last success
  bool retry_after_ = true;   // the last 429 carried Retry-After
  bool known_ = false;        // started from a known rate
};

// Additive increase, multiplicative decrease of the number of requests in flight.
class Aimd {
 public:
  Aimd(double start, double max) : max_(std::max(1.0, max)), limit_(std::min(start, max_)) {}
  void OnSuccess() { limit_ = std::min(max_, limit_ + 1); }
  void OnCongestion() { limit_ = std::max(1.0, limit_ / 2); }
  int limit() const { return static_cast<int>(limit_); }

 private:
  double max_;
  double limit_;
};

// The start of a download from a host whose rate is unknown (issue 11, doc/rate-limits.md): instead of
// growing the window per round trip, claims are let out on a schedule that doubles every `doubling`
// -- the n-th claim not before first + doubling * log2(n) (1 at once, 2 after one doubling, 4 after
// two, ...) -- while the in-flight limit is open. A host answering each request in 20 ms gets 64 in
// flight ~60 ms after the first request instead of ~6 round trips later; a fast host that limits its
// rate answers 429 before more than about (requests so far) * ln 2 * latency / doubling more are sent
// (a round-based ramp sends a whole window into an empty bucket). The schedule alone would let a host
// far away (100 ms) get 64 requests before its first reply, so the window is also bounded by replies:
// at most 1 + g x (successes so far) in flight -- one request at first contact, as before the ramp --
// where g = 120 ms / (the shortest round trip seen), clamped to 1..5: a host answering within 24 ms
// grows 6x per round trip, one at 60 ms 3x, one at 80 ms or more 2x as AIMD does. Faster growth costs
// a limited host 429s in the round trip its bucket runs dry (measured at 20 req/s burst 5: 20 ms
// away 7 -> 8-11 429s with g <= 5 and 17-25 without the bound; 80 ms away 31 without it;
// doc/rate-limits.md). The owner ends the ramp at the first failure or once its AIMD limit reached
// the ceiling. doubling <= 0: off.
// Thread safety: a plain value; the owner locks.
class StartRamp {
 public:
  explicit StartRamp(Duration doubling) : doubling_(doubling), on_(doubling > Duration::zero()) {}
  bool on() const { return on_; }
  void End() { on_ = false; }
  // When the next claim may be made: nullopt = now.
  std::optional<SteadyTime> NextAt(SteadyTime now) const {
    if (!on_ || claims_ == 0) return std::nullopt;
    SteadyTime at = first_ + std::chrono::duration_cast<Duration>(
                                 doubling_ * std::log2(static_cast<double>(claims_ + 1)));
    if (at <= now) return std::nullopt;
    return at;
  }
  void Claimed(SteadyTime now) {
    if (claims_++ == 0) first_ = now;
  }
  void Succeeded() { ++successes_; }
  // A reply came back `rtt` after its claim.
  void Replied(Duration rtt) {
    if (rtt >= Duration::zero() && (!min_rtt_ || rtt < *min_rtt_)) min_rtt_ = rtt;
  }
  // Window growth per success: 120 ms / shortest round trip, 1..5 (1 until a reply came).
  uint64_t Growth() const {
    if (!min_rtt_) return 1;
    if (*min_rtt_ <= kFastRtt / kMaxGrowth) return kMaxGrowth;
    return std::clamp<uint64_t>(kFastRtt / *min_rtt_, 1, kMaxGrowth);
  }
  // The in-flight limit while on: 1 + Growth() per success, at most `ceiling`.
  int Window(int ceiling) const {
    return static_cast<int>(std::min<uint64_t>(ceiling, 1 + Growth() * successes_));
  }
  uint64_t claims() const { return claims_; }
  static constexpr uint64_t kMaxGrowth = 5;
  static constexpr Duration kFastRtt = std::chrono::milliseconds(120);

 private:
  Duration doubling_;
  bool on_;
  uint64_t claims_ = 0;
  uint64_t successes_ = 0;
  std::optional<Duration> min_rtt_;
  SteadyTime first_{};
};

}  // namespace ctdl
