// DecodePool: the decoder threads of one log's download (doc/download.md). Each thread owns one
// EntryDecoder of the log's source and takes FetchedReply values (a 200 body for a claimed range) from
// its input queue: entries -> records (BatchBuilder, 16 entries at a time while the decoder runs, so
// each entry is still in cache) -> a Batch for the committer's queue. Every reply is
// reported to the scheduler: Decoded (a short reply's rest goes back to its range list), or Failed for
// a reply that does not decode or has no entries (retried after a backoff; after too many tries the
// download stops through RunControl with the reply's URL).
// The threads end when the input queue is closed and drained, or the output refuses a batch (the
// committer stopped); the last one closes the output, so the committer sees the end of the stream.
// Thread safety: Start once, then Join (or destroy) from the same thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/closable_queue.h"
#include "sync/batch.h"
#include "sync/log_source.h"
#include "sync/run_control.h"
#include "sync/scheduler.h"

namespace ctdl {

// A 200 reply to a claimed request, on its way from a fetcher to a decoder.
struct FetchedReply {
  Scheduler::Claim claim;
  std::string url;   // for messages
  std::string body;
};

class DecodePool {
 public:
  // All must outlive the pool.
  DecodePool(const LogSource& source, Scheduler& scheduler, RecordContext records, RunControl& control,
             DownloadCounters& counters);
  ~DecodePool();  // joins
  DecodePool(const DecodePool&) = delete;
  DecodePool& operator=(const DecodePool&) = delete;

  void Start(int threads, ClosableQueue<FetchedReply>& in, ClosableQueue<Batch>& out);
  void Join();

 private:
  void Loop(ClosableQueue<FetchedReply>& in, ClosableQueue<Batch>& out);
  // False when the output refused the batch.
  bool Decode(FetchedReply& reply, EntryDecoder& decoder, std::vector<LogEntry>& slots,
              ClosableQueue<Batch>& out);

  const LogSource& source_;
  Scheduler& scheduler_;
  const RecordContext records_;
  RunControl& control_;
  DownloadCounters& n_;
  std::atomic<int> alive_{0};
  std::vector<std::thread> threads_;
};

}  // namespace ctdl
