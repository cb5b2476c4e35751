#include "sync/download.h"

#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "base/log.h"
#include "ct/rfc6962_requests.h"
#include "sink/segment.h"
#include "sync/distributed.h"
#include "sync/host_rates.h"
#include "sync/log_download.h"
#include "sync/progress.h"
#include "x509/schema.h"

namespace ctdl {

// The archive's schema object (x509/schema.h), so loaders can name every column: written once when
// absent, never rewritten (an object already there, even a different one, is left as it is).
static Status EnsureRecordSchema(Archive* archive) {
  const std::string key(x509::kSchemaKey);
  auto have = archive->Get(key);
  if (have.ok()) {
    if (*have != x509::RecordSchemaJson())
      LOG_WARN("{}: {} differs from this version's record schema; left as it is", archive->Describe(), key);
    return Status::Ok();
  }
  if (have.status().code() != Code::kNotFound) return have.status();
  return archive->Put(key, x509::RecordSchemaJson());
}

Status RunDownload(const DownloadOptions& options, const DownloadContext& context) {
  if (!context.store || !context.archive || !context.http || !context.clock)
    return Internal("RunDownload: store, archive, http and clock are required");
  if (options.urls.empty()) return InvalidArgument("download: name at least one log URL");
  if (options.segment_entries == 0) return InvalidArgument("--segment-entries must be at least 1");
  if (options.max_inflight < 1) return InvalidArgument("--max-inflight must be at least 1");
  if (options.max_rps < 0) return InvalidArgument("--max-rps must not be negative");
  TRY(ParseCompression(options.compression));
  // Replies (MBs each) and segments (tens of MBs) are big, short-lived buffers made on many threads.
  // glibc's growing mmap threshold would keep them in per-thread arenas; a fixed threshold returns
  // them to the system at once, which keeps peak RSS flat (measured: ~620 MB -> ~200 MB on 200k
  // entries). Process-wide, but harmless for the rest of ctdl.
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  mallopt(M_ARENA_MAX, 4);
  TRY(EnsureRecordSchema(context.archive));
  if (options.distributed) return RunDistributed(options, context);
  for (const std::string& u : options.urls) {  // chunk items beyond the position are other workers'
    TRY_ASSIGN(auto chunks, context.store->ListChunks(NormalizeLogUrl(u)));
    if (!chunks.empty())
      return InvalidArgument(fmt::format(
          "{} is downloaded with --distributed (chunks of {} entries in the state): add --distributed "
          "(a plain download would remove the other workers' segments)",
          NormalizeLogUrl(u), chunks.front().size));
  }

  HostBuckets buckets(context.store, options.max_rps);  // one per host, at the rate learnt earlier
  std::vector<std::unique_ptr<LogDownload>> logs;
  std::set<std::string> seen;
  for (const std::string& u : options.urls) {
    std::string url = NormalizeLogUrl(u);
    if (!seen.insert(url).second) continue;
    auto state = context.store->Get(url);
    std::string op = state.ok() && state->has_value() ? (*state)->operator_name : "";
    logs.push_back(std::make_unique<LogDownload>(url, options, context, buckets.For(url, op)));
  }

  std::unique_ptr<ProgressSink> owned;
  ProgressSink* sink = context.progress;
  bool tty = options.progress && isatty(STDERR_FILENO);
  if (!sink) {
    owned = tty ? NewTerminalProgress(stderr) : NewLineProgress(stderr, context.clock);
    sink = owned.get();
  }
  double interval = options.progress_interval > 0 ? options.progress_interval : (tty ? 0.2 : 5.0);

  std::vector<Status> results(logs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < logs.size(); ++i)
    threads.emplace_back([&, i] { results[i] = logs[i]->Run(); });

  // Reporter: the pace is real time (it only draws), the numbers come from the injected clock.
  std::mutex mu;
  std::condition_variable cv;
  bool all_done = false;
  auto snapshots = [&] {
    std::vector<LogProgress> v;
    for (auto& l : logs) v.push_back(l->Snapshot());
    return v;
  };
  std::thread reporter([&] {
    std::unique_lock<std::mutex> l(mu);
    SteadyTime saved = context.clock->Now();
    while (!cv.wait_for(l, std::chrono::duration<double>(interval), [&] { return all_done; })) {
      l.unlock();
      sink->Update(snapshots());
      if (context.clock->Now() - saved >= std::chrono::seconds(60)) {  // learnt rates survive a kill
        saved = context.clock->Now();
        (void)buckets.Save();
      }
      l.lock();
    }
  });
  for (auto& t : threads) t.join();
  {
    std::lock_guard<std::mutex> l(mu);
    all_done = true;
  }
  cv.notify_all();
  reporter.join();
  sink->Finish(snapshots());
  if (Status s = buckets.Save(); !s.ok())
    LOG_WARN("the learnt rate limits were not stored ({}); the next run learns them again", s.ToString());

  for (const Status& s : results)
    if (!s.ok()) return s;
  return Status::Ok();
}

}  // namespace ctdl
