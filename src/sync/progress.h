// Progress a person can read: one bar per log on a terminal, a line every few seconds otherwise, and a
// summary per log at the end. Rendering is pure (Format*), output goes through a ProgressSink, so
// tests check the text without a terminal.
// Thread safety: Format* are pure; a ProgressSink is called from one reporter thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"

namespace ctdl {

// A snapshot of one log's download.
struct LogProgress {
  std::string url;
  uint64_t start = 0;       // position when this run started
  uint64_t position = 0;    // entries [0, position) are decoded and in order (committed or buffered)
  uint64_t committed = 0;   // position stored in the state (durable)
  uint64_t target = 0;      // where this run stops: min(tree size, --end)
  uint64_t tree_size = 0;
  uint64_t bytes_in = 0;    // HTTP bodies received
  uint64_t bytes_out = 0;   // compressed segment bytes written
  uint64_t retries = 0;     // failed requests retried (5xx, transport, bad JSON, empty, 400)
  uint64_t throttled = 0;   // 429 / 503 with Retry-After
  uint64_t bad_entries = 0; // entries written as error records
  uint64_t segments = 0;
  double seconds = 0;       // since this run started
  bool finished = false;
  std::string status;       // when finished: "complete", "stopped at N", or the error

  uint64_t done() const { return position - start; }
  double rate() const { return seconds > 0 ? double(done()) / seconds : 0; }
};

// "00:12", "1:02:03", "2d 03:04:05".
std::string FormatDuration(double seconds);
// tqdm-like: "<label>  3%|██▊       | 457728/57004106 [00:12<11:34:51, 1356.3 it/s] retries 3, 429s 1"
std::string FormatBar(const LogProgress& p, int bar_width = 20);
// "2026-02-04T04:48:10+00:00: URL progress: 3.5% (694880/19799242) 1356.3 entries/s"
std::string FormatLine(const LogProgress& p, WallTime now);
// "URL: complete at 200000/200000: 200000 entries, 12.3 MB in, 3.4 MB written (2 segments) in 00:05,
//  40000.0 entries/s, retries 0, 429s 0, bad entries 0"
std::string FormatSummary(const LogProgress& p);
// Short label for a bar: the URL without scheme and trailing '/', at most 32 characters (tail kept).
std::string ProgressLabel(const std::string& url);

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Update(const std::vector<LogProgress>& logs) = 0;  // called every tick
  virtual void Finish(const std::vector<LogProgress>& logs) = 0;  // once, at the end
};

// Bars redrawn in place (ANSI cursor up + erase line) on `out`, which should be a terminal.
std::unique_ptr<ProgressSink> NewTerminalProgress(FILE* out);
// One FormatLine per log per Update call (the reporter calls it every few seconds).
std::unique_ptr<ProgressSink> NewLineProgress(FILE* out, Clock* clock);

}  // namespace ctdl
