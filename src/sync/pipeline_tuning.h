// PipelineTuning: the knobs of one log's download pipeline that tests turn; defaults suit real logs.
#pragma once

#include <chrono>
#include <cstdint>

#include "net/retry.h"

namespace ctdl {

struct PipelineTuning {
  int initial_inflight = 2;             // AIMD start
  // A host with no known rate starts on a claim schedule doubling every this (Scheduler::Config).
  std::chrono::milliseconds start_doubling{10};
  uint64_t window_entries = 16384;      // reorder window (at least 4 requests' worth is used)
  int max_attempts = 12;                // per range, for 5xx / transport / empty / 404
  int max_bad_json = 5;                 // per range, then the log stops with the URL
  int max_stale = 100;                  // per range, HTTP 400 (lagging backend), waits <= 4 s each
  int max_throttled = 1000;             // per range, 429s before giving up
  Backoff backoff;                      // base 250 ms, cap 60 s
  // How often waiting fetchers re-check the stop flag.
  std::chrono::milliseconds poll{100};
  std::chrono::milliseconds request_timeout{30000};
};

}  // namespace ctdl
