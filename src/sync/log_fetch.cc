// LogDownload, fetching side: fetch threads (claim, wait, fetch, classify) and decoder threads
// (reply -> entries -> records). Request shapes, URLs and decoding come from the LogSource (get-entries
// or data tiles). See log_download.h.
#include <fmt/format.h>

#include <algorithm>

#include "base/buffer_pool.h"
#include "base/log.h"
#include "ct/rfc6962_entries.h"
#include "sync/log_download.h"
#include "x509/record.h"

namespace ctdl {

// ---- fetching ----------------------------------------------------------------------------------

void LogDownload::Worker() {
  while (std::optional<Scheduler::Claim> c = scheduler_->Next()) FetchRange(*c);
  std::lock_guard<std::mutex> l(mu_);
  --workers_alive_;
  decode_cv_.notify_all();
}

void LogDownload::FetchRange(const Scheduler::Claim& c) {
  if (!WaitForSlot()) return scheduler_->Return(c);
  HttpRequest req = source_->MakeRequest({c.start, c.end, c.full_tile});
  req.timeout = tuning_.request_timeout;
  SteadyTime sent = ctx_.clock->Now();  // about when the host counted it (for the bucket)
  HttpResponse resp = ctx_.http->Fetch(req);
  n_.bytes_in += resp.body.size();
  Verdict v = Classify(resp, ctx_.clock->WallNow());
  auto describe = [&] {
    return resp.status ? fmt::format("HTTP {}", resp.status) : "transport error: " + resp.error;
  };
  auto failed = [&](Scheduler::Failure f) {
    Scheduler::Retry r = scheduler_->Failed(c, f, v.retry_after);
    if (!r.give_up && !r.full_tile)
      LOG_DEBUG("{}: {}; retry in {:.2f}s", req.url, describe(), std::chrono::duration<double>(r.delay).count());
    return r;
  };

  switch (v.disposition) {
    case Disposition::kSuccess: {
      bucket_->OnSuccess(sent);
      // Decoding runs on the decoder threads; this thread goes back to fetching.
      scheduler_->Fetched(c);
      Reply reply{c, std::move(req.url), std::move(resp.body)};
      std::lock_guard<std::mutex> l(mu_);
      decode_q_.push_back(std::move(reply));
      decode_cv_.notify_one();
      return;
    }
    case Disposition::kThrottled: {
      ++n_.throttled;
      bucket_->OnThrottled(sent, v.retry_after);
      Scheduler::Retry r = failed(Scheduler::Failure::kThrottled);
      if (r.give_up) control_.Fail(Unavailable(fmt::format("{}: throttled {} times", req.url, r.tries)));
      return;
    }
    case Disposition::kStale: {
      // A start beyond a lagging backend: not an overload, just "not yet". Short waits (<= 4 s),
      // many tries (a lag of several minutes is tolerated), tree head re-read.
      ++n_.retries;
      Scheduler::Retry r = failed(Scheduler::Failure::kStale);
      if (r.give_up)
        return control_.Fail(Unavailable(fmt::format(
            "{}: {} for {} tries (the log's backends lag behind its tree head)", req.url, describe(), r.tries)));
      RefreshSth();
      return;
    }
    case Disposition::kRetry:
    case Disposition::kNotFound: {
      ++n_.retries;
      Scheduler::Retry r = failed(v.disposition == Disposition::kNotFound ? Scheduler::Failure::kNotFound
                                                                          : Scheduler::Failure::kRetry);
      if (r.full_tile) LOG_DEBUG("{}: HTTP 404; fetching the full tile instead", req.url);
      if (r.give_up)
        control_.Fail(Unavailable(fmt::format("{}: {} (after {} attempts)", req.url, describe(), r.tries)));
      return;
    }
    case Disposition::kFatal:
      scheduler_->Failed(c, Scheduler::Failure::kFatal);
      control_.Fail(Unavailable(fmt::format("{}: {} (retrying will not help)", req.url, describe())));
      return;
  }
}

void LogDownload::Decoder() {
  std::unique_ptr<EntryDecoder> decoder = source_->NewDecoder();
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (decode_q_.empty()) {
      if (workers_alive_ == 0) break;
      decode_cv_.wait_for(l, tuning_.poll);
      continue;
    }
    Reply reply = std::move(decode_q_.front());
    decode_q_.pop_front();
    l.unlock();
    DecodeReply(reply, decoder.get());
    l.lock();
  }
  if (--decoders_alive_ == 0) batches_->Close();  // the committer sees the end of the stream
}

void LogDownload::DecodeReply(Reply& reply, EntryDecoder* decoder) {
  const Scheduler::Claim& c = reply.claim;
  auto failed = [&](Scheduler::Failure f, const std::string& why) {
    ++n_.retries;
    Scheduler::Retry r = scheduler_->Failed(c, f);
    if (!r.give_up)
      LOG_DEBUG("{}: {}; retry in {:.2f}s", reply.url, why, std::chrono::duration<double>(r.delay).count());
    return r;
  };
  std::vector<LogEntry> entries;
  Status s = decoder->Decode(reply.body, {c.start, c.end, c.full_tile}, &entries);
  BufferPool::Replies().Put(std::move(reply.body));  // the reply buffer goes back for the next reply
  if (!s.ok()) {
    Scheduler::Retry r = failed(Scheduler::Failure::kBadReply, s.message());
    if (r.give_up)
      control_.Fail(Corrupt(fmt::format("{}: {} (after {} tries)", reply.url, s.message(), r.tries)));
    return;
  }
  if (entries.empty()) {
    Scheduler::Retry r = failed(Scheduler::Failure::kEmpty, "reply had no entries");
    if (r.give_up)
      control_.Fail(Unavailable(fmt::format("{}: no entries after {} tries", reply.url, r.tries)));
    return;
  }
  Batch b = MakeBatch(c.start, entries, {options_.fields, log_id_, url_});
  entries = {};
  scheduler_->Decoded(c, b.count);  // the rest of a partial reply goes back to the list
  batches_->Push(std::move(b));     // refused once the committer stopped
}

}  // namespace ctdl
