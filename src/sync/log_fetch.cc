// LogDownload, fetching side: fetch threads (claim, wait, fetch, classify) and decoder threads
// (reply -> entries -> records). Request shapes, URLs and decoding come from the LogSource (get-entries
// or data tiles). See log_download.h.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/log.h"
#include "ct/rfc6962_entries.h"
#include "sync/log_download.h"
#include "x509/record.h"

namespace ctdl {

// ---- fetching ----------------------------------------------------------------------------------

void LogDownload::Requeue(uint64_t start, uint64_t end, Range range) {
  range.end = end;
  std::lock_guard<std::mutex> l(mu_);
  pending_[start] = range;
  work_cv_.notify_one();
}

int LogDownload::InflightLimit() const {
  int limit = aimd_.limit();
  // Paced by a learned rate limit: requests beyond half a second of pacing slots only queue up in
  // the bucket, and a retried range (the one the committer waits for) would queue behind them.
  if (double rps = bucket_->learned_rps(); rps > 0)
    limit = std::min(limit, std::max(2, static_cast<int>(std::ceil(rps * 0.5))));
  return limit;
}

void LogDownload::Worker() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (Stopping() || done_) break;
    if (pending_.empty()) {
      if (inflight_ == 0 && decoding_ == 0) break;  // everything was delivered
      work_cv_.wait_for(l, tuning_.poll);
      continue;
    }
    auto it = pending_.begin();
    bool can = inflight_ < InflightLimit() && (!source_->Probing() || !probing_) &&
               it->first < next_ + Window();
    if (!can) {
      work_cv_.wait_for(l, tuning_.poll);
      continue;
    }
    uint64_t start = it->first;
    Range r = it->second;
    pending_.erase(it);
    uint64_t end = source_->RequestEnd(start, r.end);
    if (end < r.end) {
      Range rest;
      rest.end = r.end;
      pending_[end] = rest;
    }
    bool probe = source_->Probing();
    if (probe) probing_ = true;
    ++inflight_;
    l.unlock();
    bool handed_over = FetchRange(start, end, r, probe);
    l.lock();
    --inflight_;
    if (probe && !handed_over) probing_ = false;
    // One request slot freed: one idle worker is enough (they all look at the same queue; waking
    // every one of up to --max-inflight idle workers here cost more CPU than the fetch itself).
    // Events that open many slots (window moved, probe done) notify all.
    if (probe && !handed_over) work_cv_.notify_all();
    else work_cv_.notify_one();
  }
  --workers_alive_;
  work_cv_.notify_all();
  decode_cv_.notify_all();
}

namespace {
// A 429's Retry-After longer than this pauses every fetcher of the log, not only the throttled range.
constexpr Duration kGlobalPauseAbove = std::chrono::seconds(5);
}  // namespace

bool LogDownload::FetchRange(uint64_t start, uint64_t end, Range r, bool probe) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  SteadyTime wait_until;
  {
    std::lock_guard<std::mutex> l(mu_);
    wait_until = std::max(r.not_before, pause_until_);
  }
  if (!SleepUntil(wait_until) || !WaitForSlot()) {
    Requeue(start, end, r);
    return false;
  }
  HttpRequest req = source_->MakeRequest({start, end, r.full_tile});
  req.timeout = tuning_.request_timeout;
  SteadyTime sent = ctx_.clock->Now();  // about when the host counted it (for the bucket)
  HttpResponse resp = ctx_.http->Fetch(req);
  n_.bytes_in += resp.body.size();
  Verdict v = Classify(resp, ctx_.clock->WallNow());
  SteadyTime now = ctx_.clock->Now();
  auto describe = [&] {
    return resp.status ? fmt::format("HTTP {}", resp.status) : "transport error: " + resp.error;
  };
  auto retry_later = [&](int attempt, const std::string& why) {
    Duration delay = tuning_.backoff.Delay(attempt, rng);
    if (v.retry_after) delay = std::max(delay, *v.retry_after);
    LOG_DEBUG("{}: {}; retry in {:.2f}s", req.url, why, std::chrono::duration<double>(delay).count());
    r.not_before = now + delay;
    Requeue(start, end, r);
  };

  switch (v.disposition) {
    case Disposition::kSuccess: {
      bucket_->OnSuccess(sent);
      // Decoding runs on the decoder threads; this thread goes back to fetching.
      Reply reply{start, end, r, std::move(req.url), std::move(resp.body), probe};
      std::lock_guard<std::mutex> l(mu_);
      ++decoding_;
      decode_q_.push_back(std::move(reply));
      decode_cv_.notify_one();
      return true;
    }
    case Disposition::kThrottled: {
      ++n_.throttled;
      bucket_->OnThrottled(sent, v.retry_after);
      {
        std::lock_guard<std::mutex> l(mu_);
        aimd_.OnCongestion();
        // The throttled range waits its Retry-After (retry_later); the others go on at the paced
        // rate the bucket just lowered. Everyone stops only for a long Retry-After.
        if (v.retry_after && *v.retry_after > kGlobalPauseAbove)
          pause_until_ = std::max(pause_until_, now + *v.retry_after);
      }
      if (++r.throttled >= tuning_.max_throttled) {
        control_.Fail(Unavailable(fmt::format("{}: throttled {} times", req.url, r.throttled)));
        return false;
      }
      retry_later(std::min(r.throttled, 8), describe());
      return false;
    }
    case Disposition::kStale: {
      // A start beyond a lagging backend: not an overload, just "not yet". Short waits (<= 4 s),
      // many tries (a lag of several minutes is tolerated), tree head re-read.
      ++n_.retries;
      if (++r.stale >= tuning_.max_stale) {
        control_.Fail(Unavailable(fmt::format("{}: {} for {} tries (the log's backends lag behind its tree "
                                     "head)", req.url, describe(), r.stale)));
        return false;
      }
      RefreshSth();
      retry_later(std::min(r.stale, 4), describe());
      return false;
    }
    case Disposition::kRetry:
    case Disposition::kNotFound: {
      ++n_.retries;
      if (v.disposition == Disposition::kNotFound) {
        // A partial tile the log deleted once the full tile existed: the same entries, from the full
        // tile, at once. Should that 404 too, go back to the partial tile (with backoff, counted).
        if (!r.full_tile && source_->Has404Fallback({start, end, false})) {
          LOG_DEBUG("{}: HTTP 404; fetching the full tile instead", req.url);
          r.full_tile = true;
          Requeue(start, end, r);
          return false;
        }
        r.full_tile = false;
      }
      if (v.disposition == Disposition::kRetry) {
        std::lock_guard<std::mutex> l(mu_);
        aimd_.OnCongestion();
      }
      if (++r.attempts >= tuning_.max_attempts) {
        control_.Fail(Unavailable(
            fmt::format("{}: {} (after {} attempts)", req.url, describe(), r.attempts)));
        return false;
      }
      retry_later(r.attempts, describe());
      return false;
    }
    case Disposition::kFatal:
      control_.Fail(Unavailable(fmt::format("{}: {} (retrying will not help)", req.url, describe())));
      return false;
  }
  return false;
}

void LogDownload::Decoder() {
  std::unique_ptr<EntryDecoder> decoder = source_->NewDecoder();
  std::mt19937_64 rng(std::random_device{}());
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
    DecodeReply(reply, decoder.get(), rng);
    l.lock();
    --decoding_;
    if (reply.probe) {
      probing_ = false;
      work_cv_.notify_all();
    }
  }
  if (--decoders_alive_ == 0) batches_->Close();  // the committer sees the end of the stream
}

void LogDownload::DecodeReply(Reply& reply, EntryDecoder* decoder, std::mt19937_64& rng) {
  uint64_t start = reply.start, end = reply.end;
  Range r = reply.range;
  auto retry_later = [&](int attempt, const std::string& why) {
    Duration delay = tuning_.backoff.Delay(attempt, rng);
    LOG_DEBUG("{}: {}; retry in {:.2f}s", reply.url, why, std::chrono::duration<double>(delay).count());
    r.not_before = ctx_.clock->Now() + delay;
    Requeue(start, end, r);
  };
  std::vector<LogEntry> entries;
  Status s = decoder->Decode(reply.body, {start, end, r.full_tile}, &entries);
  reply.body = std::string();
  if (!s.ok()) {
    ++n_.retries;
    if (++r.bad_json >= tuning_.max_bad_json)
      return control_.Fail(Corrupt(fmt::format("{}: {} (after {} tries)", reply.url, s.message(), r.bad_json)));
    return retry_later(r.bad_json, s.message());
  }
  if (entries.empty()) {
    ++n_.retries;
    if (++r.attempts >= tuning_.max_attempts)
      return control_.Fail(Unavailable(fmt::format("{}: no entries after {} tries", reply.url, r.attempts)));
    return retry_later(r.attempts, "reply had no entries");
  }
  Batch b = MakeBatch(start, entries, {options_.fields, log_id_, url_});
  entries = {};
  uint64_t got = b.count;
  std::unique_lock<std::mutex> l(mu_);
  source_->Observe(start, end - start, got);
  aimd_.OnSuccess();
  if (start + got < end) {
    Range rest;
    rest.end = end;
    pending_[start + got] = rest;  // partial success: the rest goes back to the queue
  }
  work_cv_.notify_one();  // AIMD grew by one slot, or a partial reply's rest went back
  l.unlock();
  batches_->Push(std::move(b));  // refused once the committer stopped
}

}  // namespace ctdl
