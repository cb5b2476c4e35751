#include "sync/decode_pool.h"

#include <fmt/format.h>

#include <algorithm>

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
  std::vector<LogEntry> slots;  // every reply's entries, reused (EntrySlots)
  while (std::optional<FetchedReply> reply = in.Pop()) {
    if (!Decode(*reply, *decoder, slots, out)) {
      in.Cancel();  // the committer is gone: the fetchers must not block on this queue either
      break;
    }
  }
  if (--alive_ == 0) out.Close();  // the committer sees the end of the stream
}

namespace {

// What the slots may keep between replies: 1024 typical entries hold ~2.5 MB; a reply of huge
// certificates is let go rather than kept for the rest of the download.
constexpr size_t kMaxKeptSlotBytes = 16 << 20;

// Entries per window of the decoder's slots (EntrySlots::SetWindow): ~40 KB of certificates.
constexpr size_t kDecodeWindow = 16;

void ReleaseIfBig(std::vector<LogEntry>* slots) {
  size_t bytes = 0;
  for (const LogEntry& e : *slots)
    bytes += e.cert.capacity() + e.signed_tbs.capacity() + e.chain_sha256.capacity() * sizeof(Hash256);
  if (bytes > kMaxKeptSlotBytes) std::vector<LogEntry>().swap(*slots);
}

}  // namespace

bool DecodePool::Decode(FetchedReply& reply, EntryDecoder& decoder, std::vector<LogEntry>& slots,
                        ClosableQueue<Batch>& out) {
  const Scheduler::Claim& c = reply.claim;
  auto failed = [&](Scheduler::Failure f, const std::string& why) {
    ++n_.retries;
    Scheduler::Retry r = scheduler_.Failed(c, f);
    if (!r.give_up)
      LOG_DEBUG("{}: {}; retry in {:.2f}s", reply.url, why, std::chrono::duration<double>(r.delay).count());
    return r;
  };
  // The records are made while the decoder runs, kDecodeWindow entries at a time: a 1024-entry
  // get-entries reply decodes to ~2.5 MB, more than a core's L2, so records made after the whole
  // reply read every certificate back from memory.
  BatchBuilder builder(c.start, records_);
  builder.Reserve(std::min<uint64_t>(c.end - c.start, 4096));
  EntrySlots entries(&slots, 0);
  entries.SetWindow(
      kDecodeWindow,
      [](void* arg, const LogEntry* e, size_t n) {
        static_cast<BatchBuilder*>(arg)->Add(std::span<const LogEntry>(e, n));
      },
      &builder);
  Status s = decoder.DecodeInto(reply.body, reply.body.capacity() - reply.body.size(),
                                {c.start, c.end, c.full_tile}, &entries);
  if (s.ok()) entries.Flush();
  BufferPool::Replies().Put(std::move(reply.body));  // the reply buffer goes back for the next reply
  if (!s.ok()) {
    Scheduler::Retry r = failed(Scheduler::Failure::kBadReply, s.message());
    if (r.give_up)
      control_.Fail(Corrupt(fmt::format("{}: {} (after {} tries)", reply.url, s.message(), r.tries)));
    return true;
  }
  if (entries.size() == 0) {
    Scheduler::Retry r = failed(Scheduler::Failure::kEmpty, "reply had no entries");
    if (r.give_up)
      control_.Fail(Unavailable(fmt::format("{}: no entries after {} tries", reply.url, r.tries)));
    return true;
  }
  Batch b = builder.Finish();
  ReleaseIfBig(&slots);
  scheduler_.Decoded(c, b.count);   // the rest of a short reply goes back to the range list
  return out.Push(std::move(b));    // refused once the committer stopped
}

}  // namespace ctdl
