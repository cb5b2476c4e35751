// TokenBucket against simulated rate-limited hosts on a FakeClock: token buckets of 5, 20 and 75 req/s
// (bursts 2, 5, 10) that answer 429 + Retry-After, and a 0.5 req/s host without Retry-After
// (DigiCert-like). The client side mirrors LogDownload: concurrency starting at 2, +1 per success,
// halved per 429 (Aimd, up to 64), capped at half a second of pacing slots; a throttled request waits
// its Retry-After (or a backoff) and is sent again; replies take a latency with jitter, 200s longer
// than 429s. The assertions are on counts (successes, 429s) in simulated time, so load does not matter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <vector>

#include "sync/rate_limiter.h"

namespace ctdl {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

double Secs(Duration d) { return std::chrono::duration<double>(d).count(); }

struct Host {
  double rate = 20, burst = 5;
  bool retry_after = true;
  double rate_after = 0;  // > 0: the limit changes to this ...
  double change_at = 0;   // ... this many seconds in
};

struct Client {
  int successes = 200;         // requests to get through (a 50,000-entry log at 256 per request)
  Duration latency = milliseconds(20);  // round trip of a 429; a 200 takes `transfer` more
  Duration transfer = milliseconds(10);
  LearntRate known;            // a rate from an earlier run
};

struct SimRun {
  double seconds = 0;          // until the last success
  int requests = 0, throttled = 0;
  double first429 = -1;        // seconds
  double reach90 = -1;         // first time the last second's successes reached 90 % of the rate
  double share_after5 = 0;     // successes / allowed, from 5 s after the first 429 to the end
  double share = 0;            // successes / (rate x seconds + burst): the whole run
  int throttled_first5 = 0;    // 429s in the first 5 s
  // Where the 429s came (by the client's knowledge when the request was sent): before any 429 had
  // come back (first contact), while searching (paced, nothing fitted), while holding a fitted rate.
  int first_contact = 0, searching = 0, holding = 0;
  LearntRate learnt;
  double min_429_gap = 1e9;    // shortest time between two 429s decided after the first second
};

SimRun Simulate(const Host& host, const Client& c, uint64_t seed = 1) {
  FakeClock clock;
  const SteadyTime t0 = clock.Now();
  TokenBucket bucket(0, c.known);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(0.7, 1.3);
  double tokens = host.burst;
  SteadyTime last_refill = t0;
  auto take = [&](SteadyTime at, double* wait) {
    double secs = Secs(at - t0);
    double rate = host.rate_after > 0 && secs >= host.change_at ? host.rate_after : host.rate;
    tokens = std::min(host.burst, tokens + Secs(at - last_refill) * rate);
    last_refill = at;
    if (tokens >= 1) return tokens -= 1, true;
    *wait = (1 - tokens) / rate;
    return false;
  };
  struct Flight {
    SteadyTime sent, decided, due;
    bool ok;
    std::optional<Duration> retry_after;
    int throttled;
  };
  std::vector<Flight> flights;
  std::deque<std::pair<SteadyTime, int>> retries;  // not before, times throttled
  Aimd aimd(2, 64);
  SimRun r;
  int ok = 0, fresh = c.successes;
  std::deque<double> ok_times;  // decision times of successes (server side)
  double last429 = -1;
  bool seen429 = false;  // the client has received a 429
  while (ok < c.successes && clock.Now() - t0 < seconds(600)) {
    SteadyTime now = clock.Now();
    for (size_t i = 0; i < flights.size();) {
      Flight f = flights[i];
      if (f.due > now) {
        ++i;
        continue;
      }
      flights.erase(flights.begin() + i);
      if (f.ok) {
        bucket.OnSuccess(f.sent);
        aimd.OnSuccess();
        ++ok;
      } else {
        bucket.OnThrottled(f.sent, f.retry_after);
        seen429 = true;
        aimd.OnCongestion();
        Duration backoff = milliseconds(250) * (1 << std::min(f.throttled, 8));
        retries.push_back({now + std::max(backoff, f.retry_after.value_or(Duration::zero())),
                           f.throttled + 1});
      }
    }
    for (;;) {
      int limit = aimd.limit();
      if (double pace = bucket.learned_rps(); pace > 0)
        limit = std::min(limit, std::max(2, static_cast<int>(std::ceil(pace * 0.5))));
      if (static_cast<int>(flights.size()) >= limit) break;
      auto due = std::find_if(retries.begin(), retries.end(), [&](auto& x) { return x.first <= now; });
      if (due == retries.end() && fresh == 0) break;
      if (bucket.Reserve(now) != Duration::zero()) break;
      int throttled = 0;
      if (due != retries.end()) {
        throttled = due->second;
        retries.erase(due);
      } else {
        --fresh;
      }
      Duration owl = std::chrono::duration_cast<Duration>(c.latency * (0.5 * jitter(rng)));
      Flight f{now, now + owl, {}, false, std::nullopt, throttled};
      double wait = 0;
      f.ok = take(f.decided, &wait);
      f.due = f.decided + owl + (f.ok ? std::chrono::duration_cast<Duration>(c.transfer * jitter(rng))
                                      : Duration::zero());
      double at = Secs(f.decided - t0);
      if (!f.ok) {
        if (host.retry_after) f.retry_after = seconds(std::max(1, static_cast<int>(std::ceil(wait))));
        ++r.throttled;
        if (!seen429) ++r.first_contact;
        else if (bucket.learnt().rps > 0) ++r.holding;
        else ++r.searching;
        if (r.first429 < 0) r.first429 = at;
        if (at < 5) ++r.throttled_first5;
        if (last429 >= 0 && at > 1) r.min_429_gap = std::min(r.min_429_gap, at - last429);
        last429 = at;
      } else {
        ok_times.push_back(at);
        while (ok_times.front() < at - 1) ok_times.pop_front();
        double rate = host.rate_after > 0 && at >= host.change_at ? host.rate_after : host.rate;
        if (r.reach90 < 0 && at >= 1 && ok_times.size() >= 0.9 * rate) r.reach90 = at;
      }
      ++r.requests;
      flights.push_back(f);
    }
    if (std::getenv("RATE_SIM_TRACE") && (clock.Now() - t0) % milliseconds(250) == Duration::zero())
      std::printf("  t=%.2f pace=%.2f ok=%d 429=%d inflight=%zu aimd=%d\n", Secs(clock.Now() - t0),
                  bucket.learned_rps(), ok, r.throttled, flights.size(), aimd.limit());
    clock.Advance(milliseconds(1));
  }
  r.seconds = Secs(clock.Now() - t0);
  r.share = ok / (host.rate * r.seconds + host.burst);
  r.learnt = bucket.learnt();
  (void)r.share_after5;
  return r;
}

void Print(const char* what, const Host& h, const SimRun& r) {
  std::printf("%s: %.1f req/s burst %.0f%s: %.1f s, %.0f%% of the allowed rate, %d of %d requests 429 "
              "(%.1f%%: first contact %d, search %d, hold %d), first 429 at %.2f s, 90%% reached at %.2f s, "
              "learnt %.2f req/s\n",
              what, h.rate, h.burst, h.retry_after ? "" : " (no Retry-After)", r.seconds, 100 * r.share,
              r.throttled, r.requests, 100.0 * r.throttled / r.requests, r.first_contact, r.searching,
              r.holding, r.first429, r.reach90,
              r.learnt.rps);
}

TEST(RateSimTest, TokenBucketsWithRetryAfter) {
  struct Case {
    double rate, burst;
    int successes;
  };
  for (Case k : {Case{5, 2, 100}, Case{20, 5, 196}, Case{75, 10, 780}}) {
    for (Duration latency : {milliseconds(20), milliseconds(150)}) {
      Host h{k.rate, k.burst};
      Client c;
      c.successes = k.successes;
      c.latency = latency;
      SimRun r = Simulate(h, c);
      SCOPED_TRACE(testing::Message() << k.rate << " req/s, latency " << Secs(latency));
      Print(latency > milliseconds(100) ? "far " : "near", h, r);
      // Measured (see doc/rate-limits.md): 92-99 % of the allowed rate, 1.0-7.4 % 429s (the most at
      // 5 req/s, where the few 429s of the first contact weigh most), 90 % reached 1-1.7 s after the
      // first 429, the rate learnt within -6..+1 %.
      EXPECT_GE(r.share, 0.85);
      EXPECT_LE(r.throttled, std::max(3.0, 0.075 * r.requests));
      ASSERT_GE(r.first429, 0);
      EXPECT_GE(r.reach90, 0);
      EXPECT_LE(r.reach90 - r.first429, 3);
      EXPECT_GE(r.learnt.rps, 0.85 * k.rate);
      EXPECT_LE(r.learnt.rps, 1.1 * k.rate);
    }
  }
}

TEST(RateSimTest, TwentyPerSecondBurstFiveWholeLog) {
  // The goal shape: 50,000 entries (196 requests of 256) at 20 req/s, burst 5.
  Host h{20, 5};
  for (uint64_t seed : {1, 2, 3}) {
    Client c;
    c.successes = 196;
    SimRun r = Simulate(h, c, seed);
    Print("goal", h, r);
    EXPECT_GE(r.share, 0.93);  // measured 0.98-0.99
    EXPECT_LE(r.throttled, 0.03 * r.requests);
  }
}

TEST(RateSimTest, HostWithoutRetryAfterBacksOffThenCreepsUp) {
  Host h{0.5, 1, false};
  Client c;
  c.successes = 30;
  c.latency = milliseconds(100);
  SimRun r = Simulate(h, c);
  Print("polite", h, r);
  // Measured: 64-72 % of the allowed rate, 6 of 36 requests 429 (most while searching: without
  // Retry-After nothing says how slow the host is), learnt 0.22-0.27 req/s: with a bucket of one token
  // the host throws away what it refills while we wait, so the replies only bound the rate from
  // below and the model takes that bound.
  EXPECT_GE(r.share, 0.6);
  EXPECT_LE(r.throttled, 0.25 * r.requests);
  EXPECT_GE(r.min_429_gap, 1.0);  // after the first moment, never two 429s within a second
  EXPECT_GE(r.learnt.rps, 0.2);
  EXPECT_LE(r.learnt.rps, 0.55);
  EXPECT_FALSE(r.learnt.retry_after);
}

TEST(RateSimTest, AKnownRateStartsWithoutA429Burst) {
  for (double rate : {5.0, 20.0, 75.0}) {
    Host h{rate, std::round(rate / 4)};
    Client c;
    c.successes = static_cast<int>(rate * 10);
    SimRun first = Simulate(h, c);
    ASSERT_GT(first.learnt.rps, 0);
    c.known = first.learnt;
    SimRun again = Simulate(h, c, 2);
    Print("restart", h, again);
    EXPECT_LE(again.throttled_first5, 1);
    EXPECT_GE(again.share, 0.85);
    EXPECT_LT(again.throttled, first.throttled);
  }
}

TEST(RateSimTest, FollowsAHostThatLowersItsLimit) {
  Host h{20, 5};
  h.rate_after = 8;
  h.change_at = 10;
  Client c;
  c.successes = 400;
  SimRun r = Simulate(h, c);
  Print("lowered", h, r);
  // Measured: learnt 8.75 req/s, 6 % of requests 429: following a lowered limit costs more 429s
  // than finding one (each 429 cuts 3 %, the model's 10 s window still holds the old regime).
  EXPECT_GE(r.learnt.rps, 6);
  EXPECT_LE(r.learnt.rps, 11);
  EXPECT_LE(r.throttled, 0.2 * r.requests);
}

TEST(RateSimTest, AnUnlimitedHostIsNeverPaced) {
  Host h{1e6, 1e6};
  Client c;
  c.successes = 2000;
  SimRun r = Simulate(h, c);
  EXPECT_EQ(r.throttled, 0);
  EXPECT_EQ(r.learnt.rps, 0);
}

}  // namespace
}  // namespace ctdl
