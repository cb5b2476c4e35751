// RunControl and DownloadCounters: what every stage of one log's download shares (doc/download.md).
// RunControl is the stop flag: a signal (the handler raises stop_signals) or the first error a stage
// reports. Fail() runs the wake-ups the stages registered, so a stage blocked on its own condition
// variable sees the stop at once; a signal handler cannot notify, so the stages that wait for time or
// work (Scheduler::Next, the fetch stage's wait for a request slot) re-check the signal flag at least
// every PipelineTuning::poll, and the fetch stage cancels a request still in flight 1 s after a stop.
// Everything after them ends through its closed input queue.
// DownloadCounters are the progress numbers each stage adds to (LogDownload::Snapshot reads them).
// Thread safety: all of it may be used from any thread; AddWakeup before the stages start.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "base/status.h"

namespace ctdl {

class RunControl {
 public:
  explicit RunControl(const std::atomic<int>* stop_signals) : signals_(stop_signals) {}
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  // First error wins. The wake-ups run under this object's lock (so ClearWakeups waits for them):
  // never call Fail while holding a lock a wake-up takes.
  void Fail(Status status) {
    std::lock_guard<std::mutex> l(mu_);
    if (failed_.load()) return;
    error_ = std::move(status);
    failed_ = true;
    for (auto& w : wakeups_) w();
  }
  bool failed() const { return failed_.load(); }
  bool signalled() const { return signals_ && signals_->load() > 0; }
  bool Stopping() const { return failed() || signalled(); }
  Status FirstError() const {
    std::lock_guard<std::mutex> l(mu_);
    return error_;
  }
  void AddWakeup(std::function<void()> wakeup) {
    std::lock_guard<std::mutex> l(mu_);
    wakeups_.push_back(std::move(wakeup));
  }
  void ClearWakeups() {  // before what they wake is destroyed
    std::lock_guard<std::mutex> l(mu_);
    wakeups_.clear();
  }

 private:
  const std::atomic<int>* signals_;
  mutable std::mutex mu_;
  Status error_;
  std::atomic<bool> failed_{false};
  std::vector<std::function<void()>> wakeups_;
};

struct DownloadCounters {
  std::atomic<uint64_t> position{0};   // committer: entries [0, position) decoded and in order
  std::atomic<uint64_t> committed{0};  // writer: the position stored in the state
  std::atomic<uint64_t> bytes_in{0};   // fetch stage: reply bodies
  std::atomic<uint64_t> retries{0};    // fetch stage, decode pool
  std::atomic<uint64_t> throttled{0};  // fetch stage: 429s / 503 with Retry-After
  std::atomic<uint64_t> bad{0};        // committer: entries written as error records
  std::atomic<uint64_t> bytes_out{0};  // writer: compressed segment bytes
  std::atomic<uint64_t> segments{0};   // writer
  std::atomic<uint64_t> verified{0};   // writer: the verified size stored with the position
  std::atomic<int64_t> last_commit_unix{0};  // writer: wall time of the last Advance
};

}  // namespace ctdl
