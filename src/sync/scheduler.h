// Scheduler: which entries of one log are fetched next (doc/download.md). It owns the range list
// [position, target), each range in an explicit state
//   pending -> in flight (claimed by a fetcher) -> decoding (200 reply handed to the decode pool)
//           -> done (its batch went to the committer; dropped once the committer passed it)
//   pending <- in flight | decoding (failed: retried after a backoff, the rest of a partial reply)
//   failed  (gave up: the download stops with the caller's message)
// and the rules for claiming: the lowest pending range whose backoff is over, only while fewer than the
// AIMD limit (capped by the host's learnt pace) are in flight, only one at a time while the source
// probes (get-entries cap discovery), only ranges that start within the memory window of the committer's
// position, and none while a long Retry-After pauses the log. At the start, for a host with no known
// rate (Config::start_doubling), the AIMD limit and the one-probe rule give way to a claim schedule
// doubling in time (StartRamp, rate_limiter.h) until the first failure. Request shapes come from the LogSource's
// planning methods, called under the scheduler's lock.
// Time is the injected Clock: a pending range waits for its backoff on it (Clock::SleepFor, so a
// FakeClock moves on), a stop is seen within `poll`.
// Thread safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>

#include "base/clock.h"
#include "net/retry.h"
#include "sync/log_source.h"
#include "sync/rate_limiter.h"

namespace ctdl {

class Scheduler {
 public:
  struct Config {
    uint64_t position = 0;  // first index needed (the committed position)
    uint64_t target = 0;    // end of the run (exclusive)
    uint64_t window_entries = 16384;  // ranges start below position + max(this, 4 requests)
    int initial_inflight = 2;         // AIMD start
    // A host with no known rate: claims on a schedule doubling every this (StartRamp), the window
    // 1 + 1..3 per success by round trip (StartRamp; not AIMD's 2 + 1) and cap probes not one at a time, until the first failure
    // or AIMD reaches max_inflight.
    // Zero: off (AIMD from initial_inflight, probes one at a time, from the first claim).
    Duration start_doubling{};
    int max_inflight = 64;            // AIMD ceiling
    int max_attempts = 12;            // 5xx / transport / 404 / empty replies, per range
    int max_bad_json = 5;             // undecodable replies, per range
    int max_stale = 100;              // HTTP 400 from a lagging backend, per range
    int max_throttled = 1000;         // 429s, per range
    Backoff backoff;
    Duration poll = std::chrono::milliseconds(100);  // how often a waiting Next() re-checks `stopping`
  };
  enum class State { kPending, kInFlight, kDecoding, kDone, kFailed };
  // A claimed request [start, end). Identifies its range in every report.
  struct Claim {
    uint64_t start = 0;
    uint64_t end = 0;
    bool full_tile = false;  // a partial tile answered 404: the full tile is fetched instead
    bool probe = false;      // sent while the source probes (one at a time)
  };
  enum class Failure {
    kThrottled,  // 429 (or 503 with Retry-After): AIMD halves; a Retry-After > 5 s pauses every range
    kStale,      // 400 from a lagging backend: short waits (<= 4 s), many tries
    kRetry,      // 5xx, transport error: AIMD halves
    kNotFound,   // 404: a partial tile falls back to the full tile at once
    kBadReply,   // the decoder refused the reply
    kEmpty,      // a 200 with no entries
    kFatal,      // retrying cannot help (e.g. a certificate error): failed at once
  };
  struct Retry {
    bool give_up = false;  // the range is failed; the caller stops the download
    int tries = 0;         // failures of this kind for the range, this one included
    Duration delay{};      // until the range is claimed again
    bool full_tile = false;  // kNotFound: retried at once as the full tile
  };
  // What TryClaim found.
  struct Attempt {
    std::optional<Claim> claim;
    bool finished = false;               // nothing pending, in flight or decoding; or closed
    std::optional<SteadyTime> ready_at;  // nothing claimable now; a backoff or pause ends then
  };

  // source: planning methods only (Probing, RequestSize, RequestEnd, Observe, Has404Fallback).
  // pacing: the host's bucket (its learnt pace caps the in-flight limit); may be null.
  // stopping: polled by Next(); Wake() makes it look at once.
  Scheduler(Config config, LogSource* source, Clock* clock, const TokenBucket* pacing,
            std::function<bool()> stopping);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Waits for the next range to fetch. nullopt when everything was delivered, Close() was called or
  // `stopping` says so.
  std::optional<Claim> Next();
  // Non-blocking: a claim when one can be made now.
  Attempt TryClaim();

  // Reports about a claim (each range's last report decides its state).
  void Fetched(const Claim& c);  // a 200 went to the decoders: the fetch slot is free
  void Return(const Claim& c);   // not sent (stopping): pending again, nothing counted
  Retry Failed(const Claim& c, Failure f, std::optional<Duration> retry_after = std::nullopt);
  void Decoded(const Claim& c, uint64_t got);  // got (> 0) entries from c.start; the rest is pending
  void SetPosition(uint64_t position);         // the committer moved: the window moves
  void Close();  // the run is over (committer done or failed): Next() returns nullopt
  void Wake();   // a stop was raised: waiting Next() calls look at `stopping` now

  // For tests and progress.
  size_t Count(State s) const;
  int inflight() const;  // claimed and not yet Fetched or Failed
  int limit() const;     // the in-flight limit right now
  std::optional<SteadyTime> paused_until() const;
  // Times a fetcher waiting in Next() was woken by a report and found nothing to do (tests).
  uint64_t idle_wakeups() const;

 private:
  struct Range {
    uint64_t end = 0;
    State state = State::kPending;
    int attempts = 0, bad_json = 0, throttled = 0, stale = 0;
    bool full_tile = false;
    SteadyTime not_before{};
    SteadyTime claimed_at{};  // the last claim (the start ramp's round trips)
  };
  // take = false: only whether a claim could be made now (nothing changes).
  Attempt TryClaimLocked(SteadyTime now, bool take = true);
  // A fetcher waiting in Next() would claim, end, or become the one that sleeps for a backoff.
  bool WakeUsefulLocked(SteadyTime now);
  enum class Wakes { kUseful, kAll };  // kUseful: one waiter, if WakeUsefulLocked
  void Notify(std::unique_lock<std::mutex>& l, Wakes w);  // unlocks first
  int LimitLocked() const;
  void EndRampIfDone();
  uint64_t WindowLocked() const;
  void SetState(Range& r, State s);
  bool FinishedLocked() const;
  Range* Find(const Claim& c, State expected);

  const Config cfg_;
  LogSource* const source_;
  Clock* const clock_;
  const TokenBucket* const pacing_;
  const std::function<bool()> stopping_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Range> ranges_;  // start -> range; contiguous cover of [position_, target)
  size_t count_[5] = {0, 0, 0, 0, 0};  // ranges per State
  uint64_t position_ = 0;
  Aimd aimd_;
  StartRamp ramp_;
  int probes_ = 0;  // probe claims not yet reported
  bool closed_ = false;
  bool sleeper_ = false;
  uint64_t idle_wakeups_ = 0;  // one waiting Next() sleeps on the clock for a backoff; the others on cv_
  SteadyTime pause_until_{};
  std::mt19937_64 rng_;
};

}  // namespace ctdl
