#include "sync/decode_pool.h"

#include <fmt/format.h>

#include "base/buffer_pool.h"
#include "base/log.h"

namespace ctdl {

DecodePool::DecodePool(const LogSource& source, Scheduler& scheduler, RecordContext records,
                       RunControl& control, DownloadCounters& counters)
    : source_(source), scheduler_(scheduler), records_(std::move(records)), control_(control), n_(counters) {}

DecodePool::~DecodePool() { Join(); }

void DecodePool::Start(int threads, ClosableQueue<FetchedReply>& in, ClosableQueue<Batch>& out) {
  int n = threads < 1 ? 1 : threads;
  alive_ = n;
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this, &in, &out] { Loop(in, out); });
}

void DecodePool::Join() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void DecodePool::Loop(ClosableQueue<FetchedReply>& in, ClosableQueue<Batch>& out) {
  std::unique_ptr<EntryDecoder> decoder = source_.NewDecoder();
  while (std::optional<FetchedReply> reply = in.Pop()) {
    if (!Decode(*reply, *decoder, out)) {
      in.Cancel();  // the committer is gone: the fetchers must not block on this queue either
      break;
    }
  }
  if (--alive_ == 0) out.Close();  // the committer sees the end of the stream
}

bool DecodePool::Decode(FetchedReply& reply, EntryDecoder& decoder, ClosableQueue<Batch>& out) {
  const Scheduler::Claim& c = reply.claim;
  auto failed = [&](Scheduler::Failure f, const std::string& why) {
    ++n_.retries;
    Scheduler::Retry r = scheduler_.Failed(c, f);
    if (!r.give_up)
      LOG_DEBUG("{}: {}; retry in {:.2f}s", reply.url, why, std::chrono::duration<double>(r.delay).count());
    return r;
  };
  std::vector<LogEntry> entries;
  Status s = decoder.DecodePadded(reply.body, reply.body.capacity() - reply.body.size(),
                                  {c.start, c.end, c.full_tile}, &entries);
  BufferPool::Replies().Put(std::move(reply.body));  // the reply buffer goes back for the next reply
  if (!s.ok()) {
    Scheduler::Retry r = failed(Scheduler::Failure::kBadReply, s.message());
    if (r.give_up)
      control_.Fail(Corrupt(fmt::format("{}: {} (after {} tries)", reply.url, s.message(), r.tries)));
    return true;
  }
  if (entries.empty()) {
    Scheduler::Retry r = failed(Scheduler::Failure::kEmpty, "reply had no entries");
    if (r.give_up)
      control_.Fail(Unavailable(fmt::format("{}: no entries after {} tries", reply.url, r.tries)));
    return true;
  }
  Batch b = MakeBatch(c.start, entries, records_);
  entries = {};
  scheduler_.Decoded(c, b.count);   // the rest of a short reply goes back to the range list
  return out.Push(std::move(b));    // refused once the committer stopped
}

}  // namespace ctdl
