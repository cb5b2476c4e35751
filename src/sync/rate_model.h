// RateModel: what a host's rate limit must be, given the replies it gave us. Most CT logs limit with a
// token bucket (rate R tokens/s, at most B tokens; a request without a token is answered 429 and
// takes none). Replaying our own recent requests through such a bucket, the (R, B) that explains the
// most replies is the host's limit: every 200 needed a token, every 429 found none. This sees through
// what a plain success count cannot: a burst spent before the first 429, and tokens the host threw
// away while we were below its rate (its bucket was full). Algorithm and limits: doc/rate-limits.md.
// Pure functions on values; thread-safe.
#pragma once

#include <vector>

#include "base/clock.h"

namespace ctdl {

struct RateEvent {
  SteadyTime sent;  // when the request was sent (the host counted it about then)
  bool ok = false;  // 200 (took a token) or 429 (found none)
};

struct RateFit {
  bool ok = false;     // false: the replies do not pin a rate down yet (too few, or no 429 in them)
  double rps = 0;      // the host's rate, requests/s (the low end of the best-fitting range)
  double rps_high = 0; // the high end of that range
  double burst = 0;    // its bucket size, requests
  double cost = 0;     // how badly the best (R, B) explains the replies (0: perfectly)
};

// events: sorted by `sent`. starts_full: the host's bucket was full before events[0] (our first
// request to it after a long pause); otherwise the replay starts at the first 429 (an empty bucket).
// Needs at least one 429 and `min_ok` successes after it.
RateFit FitTokenBucket(const std::vector<RateEvent>& events, bool starts_full, int min_ok = 3);

}  // namespace ctdl
