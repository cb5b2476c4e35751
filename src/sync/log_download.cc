#include "sync/log_download.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "base/log.h"
#include "ct/rfc6962_entries.h"
#include "x509/record.h"

namespace ctdl {

LogDownload::LogDownload(std::string url, const DownloadOptions& options,
                         const DownloadContext& context, TokenBucket* host_bucket,
                         PipelineTuning tuning)
    : url_(NormalizeLogUrl(url)),
      options_(options),
      ctx_(context),
      bucket_(host_bucket),
      tuning_(tuning),
      slug_(LogSlug(url_)) {
  if (auto c = ParseCompression(options.compression); c.ok()) compression_ = *c;
}

LogDownload::~LogDownload() = default;

bool LogDownload::Stopping() const {
  return failed_.load() || (ctx_.stop_signals && ctx_.stop_signals->load() > 0);
}

void LogDownload::Fail(Status status) {
  std::lock_guard<std::mutex> l(err_mu_);
  if (!failed_.load()) {
    error_ = std::move(status);
    failed_ = true;
  }
}

Status LogDownload::FirstError() const {
  std::lock_guard<std::mutex> l(err_mu_);
  return error_;
}

bool LogDownload::SleepUntil(SteadyTime t) {
  for (;;) {
    if (Stopping()) return false;
    SteadyTime now = ctx_.clock->Now();
    if (now >= t) return true;
    ctx_.clock->SleepFor(std::min<Duration>(t - now, tuning_.poll));
  }
}

uint64_t LogDownload::Window() const {
  return std::max<uint64_t>(tuning_.window_entries, 4 * cap_.RequestSize());
}

LogProgress LogDownload::Snapshot() const {
  LogProgress p;
  p.url = url_;
  p.start = start_pos_;
  p.position = position_;
  p.committed = committed_pub_;
  p.target = target_pub_;
  p.tree_size = tree_pub_;
  p.bytes_in = bytes_in_;
  p.bytes_out = bytes_out_;
  p.retries = retries_;
  p.throttled = throttled_;
  p.bad_entries = bad_;
  p.segments = segs_;
  p.finished = finished_;
  if (started_ != SteadyTime{})
    p.seconds = std::chrono::duration<double>(ctx_.clock->Now() - started_).count();
  std::lock_guard<std::mutex> l(mu_);
  p.status = status_;
  return p;
}

// ---- preparation -------------------------------------------------------------------------------

Status LogDownload::CleanupArchive() {
  TRY_ASSIGN(auto objects, ctx_.archive->List(SegmentPrefix(slug_)));
  for (const ObjectInfo& o : objects) {
    auto name = ParseSegmentKey(o.key);
    if (!name) continue;  // not ours
    if (name->first >= committed_) {
      LOG_INFO("{}: removing {} (beyond the committed position {}: left by an interrupted run)",
               url_, o.key, committed_);
      TRY(ctx_.archive->Delete(o.key));
    } else if (name->last >= committed_) {
      return Corrupt(fmt::format(
          "{}: archive object {} covers [{}, {}] but the committed position is {}: it straddles the "
          "position, which should never happen; not deleting it, please inspect",
          url_, o.key, name->first, name->last, committed_));
    }
  }
  return Status::Ok();
}

Result<SignedTreeHead> LogDownload::FetchSth() {
  std::mt19937_64 rng(std::random_device{}());
  std::string url = GetSthUrl(url_);
  for (int attempt = 0;; ++attempt) {
    if (Stopping()) return Cancelled(url_ + ": stopped before the tree head was read");
    SleepUntil(ctx_.clock->Now() + bucket_->Reserve(ctx_.clock->Now()));
    HttpRequest req;
    req.url = url;
    req.timeout = tuning_.request_timeout;
    HttpResponse resp = ctx_.http->Fetch(req);
    Verdict v = Classify(resp, ctx_.clock->WallNow());
    std::string what;
    if (v.disposition == Disposition::kSuccess) {
      auto sth = ParseGetSth(resp.body);
      if (sth.ok()) {
        sth_body_ = std::move(resp.body);
        return sth;
      }
      what = sth.status().message();
    } else if (v.disposition == Disposition::kFatal) {
      return Unavailable(fmt::format("{}: HTTP {} (retrying will not help)", url, resp.status));
    } else {
      what = resp.status ? fmt::format("HTTP {}", resp.status) : resp.error;
    }
    if (v.disposition == Disposition::kThrottled) ++throttled_;
    else ++retries_;
    if (attempt + 1 >= tuning_.max_attempts)
      return Unavailable(fmt::format("{}: {} (after {} attempts)", url, what, attempt + 1));
    Duration delay = tuning_.backoff.Delay(attempt, rng);
    if (v.retry_after) delay = std::max(delay, *v.retry_after);
    LOG_DEBUG("{}: {}; retrying in {:.1f}s", url, what, std::chrono::duration<double>(delay).count());
    SleepUntil(ctx_.clock->Now() + delay);
  }
}

void LogDownload::RefreshSth() {
  {
    std::lock_guard<std::mutex> l(mu_);
    SteadyTime now = ctx_.clock->Now();
    if (last_sth_refresh_ != SteadyTime{} && now - last_sth_refresh_ < std::chrono::seconds(10))
      return;
    last_sth_refresh_ = now;
  }
  HttpRequest req;
  req.url = GetSthUrl(url_);
  req.timeout = tuning_.request_timeout;
  HttpResponse resp = ctx_.http->Fetch(req);
  if (resp.status != 200) return;
  auto sth = ParseGetSth(resp.body);
  if (!sth.ok()) return;
  LOG_DEBUG("{}: tree head re-read after HTTP 400: size {}", url_, sth->tree_size);
  if (sth->tree_size > tree_pub_) {
    tree_pub_ = sth->tree_size;
    (void)ctx_.store->UpdateTreeHead(url_, sth->tree_size, resp.body);
  }
}

Status LogDownload::Prepare() {
  TRY_ASSIGN(std::optional<LogState> state, ctx_.store->Get(url_));
  if (!state) {
    LogState s;
    s.url = url_;
    TRY(ctx_.store->Register({s}, false));
    LOG_INFO("{}: not in the state yet; registered it", url_);
    TRY_ASSIGN(state, ctx_.store->Get(url_));
    if (!state) return Internal(url_ + ": registered but not found in the state");
  }
  committed_ = state->position;
  verified_size_ = std::min(state->verified_size, committed_);
  if (state->compact_range.empty()) {
    range_valid_ = committed_ == 0;
  } else {
    auto r = CompactRange::Parse(state->compact_range);
    range_valid_ = r.ok() && r->size() == committed_;
    if (range_valid_) range_ = std::move(r).value();
  }
  if (!range_valid_)
    LOG_WARN("{}: no usable Merkle compact range for position {}; roots are not checked this run",
             url_, committed_);
  TRY(CleanupArchive());
  TRY_ASSIGN(sth_, FetchSth());
  TRY(ctx_.store->UpdateTreeHead(url_, sth_.tree_size, sth_body_));
  if (!state->sth.empty()) {
    if (auto old = ParseGetSth(state->sth); old.ok() && old->tree_size > committed_)
      signed_roots_[old->tree_size] = old->root_hash;
  }
  signed_roots_[sth_.tree_size] = sth_.root_hash;
  target_ = sth_.tree_size;
  if (options_.end) target_ = std::min(target_, *options_.end);
  start_pos_ = committed_;
  position_ = committed_;
  committed_pub_ = committed_;
  target_pub_ = std::max(target_, committed_);
  tree_pub_ = sth_.tree_size;
  return Status::Ok();
}

// ---- fetching ----------------------------------------------------------------------------------

void LogDownload::Requeue(uint64_t start, uint64_t end, Range range) {
  range.end = end;
  std::lock_guard<std::mutex> l(mu_);
  pending_[start] = range;
  work_cv_.notify_all();
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
    bool can = inflight_ < aimd_.limit() && (cap_.known() || !probing_) &&
               it->first < next_ + Window();
    if (!can) {
      work_cv_.wait_for(l, tuning_.poll);
      continue;
    }
    uint64_t start = it->first;
    Range r = it->second;
    pending_.erase(it);
    uint64_t end = AlignedRequestEnd(start, r.end, cap_.RequestSize());
    if (end < r.end) {
      Range rest;
      rest.end = r.end;
      pending_[end] = rest;
    }
    bool probe = !cap_.known();
    if (probe) probing_ = true;
    ++inflight_;
    l.unlock();
    bool handed_over = FetchRange(start, end, r, probe);
    l.lock();
    --inflight_;
    if (probe && !handed_over) probing_ = false;
    work_cv_.notify_all();
    ready_cv_.notify_all();
  }
  --workers_alive_;
  work_cv_.notify_all();
  ready_cv_.notify_all();
  decode_cv_.notify_all();
}

bool LogDownload::FetchRange(uint64_t start, uint64_t end, Range r, bool probe) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  SteadyTime wait_until;
  {
    std::lock_guard<std::mutex> l(mu_);
    wait_until = std::max(r.not_before, pause_until_);
  }
  if (!SleepUntil(wait_until) ||
      !SleepUntil(ctx_.clock->Now() + bucket_->Reserve(ctx_.clock->Now()))) {
    Requeue(start, end, r);
    return false;
  }
  HttpRequest req;
  req.url = GetEntriesUrl(url_, start, end);
  req.timeout = tuning_.request_timeout;
  HttpResponse resp = ctx_.http->Fetch(req);
  bytes_in_ += resp.body.size();
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
      // Decoding runs on the decoder threads; this thread goes back to fetching.
      Reply reply{start, end, r, std::move(req.url), std::move(resp.body), probe};
      std::lock_guard<std::mutex> l(mu_);
      ++decoding_;
      decode_q_.push_back(std::move(reply));
      decode_cv_.notify_one();
      return true;
    }
    case Disposition::kThrottled: {
      ++throttled_;
      {
        std::lock_guard<std::mutex> l(mu_);
        aimd_.OnCongestion();
        if (v.retry_after) pause_until_ = std::max(pause_until_, now + *v.retry_after);
      }
      if (++r.throttled >= tuning_.max_throttled) {
        Fail(Unavailable(fmt::format("{}: throttled {} times", req.url, r.throttled)));
        return false;
      }
      retry_later(std::min(r.throttled, 8), describe());
      return false;
    }
    case Disposition::kStale: {
      // A start beyond a lagging backend: not an overload, just "not yet". Short waits (<= 4 s),
      // many tries (a lag of several minutes is tolerated), tree head re-read.
      ++retries_;
      if (++r.stale >= tuning_.max_stale) {
        Fail(Unavailable(fmt::format("{}: {} for {} tries (the log's backends lag behind its tree "
                                     "head)", req.url, describe(), r.stale)));
        return false;
      }
      RefreshSth();
      retry_later(std::min(r.stale, 4), describe());
      return false;
    }
    case Disposition::kRetry:
    case Disposition::kNotFound: {
      ++retries_;
      if (v.disposition == Disposition::kRetry) {
        std::lock_guard<std::mutex> l(mu_);
        aimd_.OnCongestion();
      }
      if (++r.attempts >= tuning_.max_attempts) {
        Fail(Unavailable(
            fmt::format("{}: {} (after {} attempts)", req.url, describe(), r.attempts)));
        return false;
      }
      retry_later(r.attempts, describe());
      return false;
    }
    case Disposition::kFatal:
      Fail(Unavailable(fmt::format("{}: {} (retrying will not help)", req.url, describe())));
      return false;
  }
  return false;
}

void LogDownload::Decoder() {
  GetEntriesDecoder decoder;
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
    DecodeReply(reply, &decoder, rng);
    l.lock();
    --decoding_;
    if (reply.probe) probing_ = false;
    work_cv_.notify_all();
    ready_cv_.notify_all();
  }
  --decoders_alive_;
  ready_cv_.notify_all();
}

void LogDownload::DecodeReply(Reply& reply, GetEntriesDecoder* decoder, std::mt19937_64& rng) {
  uint64_t start = reply.start, end = reply.end;
  Range r = reply.range;
  auto retry_later = [&](int attempt, const std::string& why) {
    Duration delay = tuning_.backoff.Delay(attempt, rng);
    LOG_DEBUG("{}: {}; retry in {:.2f}s", reply.url, why, std::chrono::duration<double>(delay).count());
    r.not_before = ctx_.clock->Now() + delay;
    Requeue(start, end, r);
  };
  std::vector<LogEntry> entries;
  Status s = decoder->Decode(reply.body, start, end - start, &entries);
  reply.body = std::string();
  if (!s.ok()) {
    ++retries_;
    if (++r.bad_json >= tuning_.max_bad_json)
      return Fail(Corrupt(fmt::format("{}: {} (after {} tries)", reply.url, s.message(), r.bad_json)));
    return retry_later(r.bad_json, s.message());
  }
  if (entries.empty()) {
    ++retries_;
    if (++r.attempts >= tuning_.max_attempts)
      return Fail(Unavailable(fmt::format("{}: no entries after {} tries", reply.url, r.attempts)));
    return retry_later(r.attempts, "reply had no entries");
  }
  Batch b;
  b.first = start;
  b.count = entries.size();
  b.line_ends.reserve(b.count);
  b.hashes.reserve(b.count);
  b.records.reserve(b.count * 512);
  for (size_t i = 0; i < entries.size(); ++i) {
    const LogEntry& e = entries[i];
    RecordInput in;
    in.der = e.cert;
    in.index = e.index;
    in.entry_type = EntryTypeName(e.type);
    in.timestamp = e.timestamp;
    in.error = e.error;
    in.chain_sha256 = &e.chain_sha256;
    AppendRecord(in, options_.fields, &b.records);
    if (b.records.empty() || b.records.back() != '\n') b.records.push_back('\n');
    b.line_ends.push_back(static_cast<uint32_t>(b.records.size()));
    b.hashes.push_back(e.has_leaf_hash ? e.leaf_hash : Hash256{});
    if (!e.has_leaf_hash) b.missing.push_back(static_cast<uint32_t>(i));
    if (!e.error.empty()) ++b.bad;
  }
  entries = {};
  uint64_t got = b.count;
  std::lock_guard<std::mutex> l(mu_);
  cap_.Observe(start, end - start, got);
  aimd_.OnSuccess();
  if (start + got < end) {
    Range rest;
    rest.end = end;
    pending_[start + got] = rest;  // partial success: the rest goes back to the queue
  }
  ready_.emplace(start, std::move(b));
  ready_cv_.notify_all();
  work_cv_.notify_all();
}

// ---- committing --------------------------------------------------------------------------------

// The one place where downloaded data meets a signed head: at a signed size, the Merkle root of
// [0, size) must equal the signed root. (Signatures and consistency proofs: see doc/download.md.)
Status LogDownload::CheckRoot() {
  auto it = signed_roots_.find(range_.size());
  if (it == signed_roots_.end() || !options_.verify) return Status::Ok();
  Hash256 got = range_.Root();
  if (got != it->second)
    return VerifyFailed(fmt::format(
        "{}: Merkle root of entries [0, {}) is {} but the signed tree head says {}; nothing past "
        "position {} is committed",
        url_, range_.size(), Base64Encode(AsView(got)), Base64Encode(AsView(it->second)),
        committed_pub_.load()));
  verified_size_ = std::max(verified_size_, range_.size());
  return Status::Ok();
}

Status LogDownload::Seal() {
  if (!segment_ || segment_->empty()) return Status::Ok();
  SealJob job{std::move(*segment_), verified_size_, range_valid_ ? range_.Serialize() : ""};
  segment_.reset();
  std::unique_lock<std::mutex> l(wmu_);
  // One segment is written while the next is assembled: memory stays bounded.
  wcv_.wait(l, [&] { return (wq_.empty() && !writing_) || !werr_.ok(); });
  if (!werr_.ok()) return werr_;
  wq_.push_back(std::move(job));
  wcv_.notify_all();
  return Status::Ok();
}

// The writer thread: compress, Put, then compare-and-set the position, one segment at a time, in
// order. The first error stops it (later segments are dropped, nothing past the error is committed).
void LogDownload::WriterLoop() {
  for (;;) {
    std::unique_lock<std::mutex> l(wmu_);
    wcv_.wait(l, [&] { return !wq_.empty() || wclose_; });
    if (wq_.empty()) return;
    SealJob job = std::move(wq_.front());
    wq_.pop_front();
    bool skip = !werr_.ok();
    writing_ = true;
    l.unlock();
    Status s = skip ? Status::Ok() : Write(job);
    job.segment = SegmentBuilder(0);  // free it before the committer may build the next
    l.lock();
    writing_ = false;
    if (!s.ok()) {
      werr_ = s;
      Fail(s);
    }
    wcv_.notify_all();
  }
}

Status LogDownload::Write(const SealJob& job) {
  TRY_ASSIGN(std::string key, job.segment.Key(slug_, compression_));
  TRY_ASSIGN(std::string data, job.segment.Compress(compression_));
  Status put = ctx_.archive->Put(key, data);
  if (!put.ok()) return put.Annotate(url_ + ": writing " + key);
  uint64_t pos = job.segment.last() + 1;
  Progress p;
  p.position = pos;
  p.verified_size = job.verified_size;
  p.compact_range = job.compact_range;
  uint64_t committed = committed_pub_;
  Status s = ctx_.store->Advance(url_, committed, p);
  if (s.code() == Code::kConflict)
    return Conflict(fmt::format(
        "{}: the state no longer says position {} (another ctdl is downloading this log?); "
        "stopping without committing {}",
        url_, committed, key));
  if (!s.ok()) return s.Annotate(url_ + ": committing position " + std::to_string(pos));
  committed_pub_ = pos;
  bytes_out_ += data.size();
  ++segs_;
  return Status::Ok();
}

Status LogDownload::Consume(Batch& b) {
  size_t missing_i = 0;
  uint32_t begin = 0;
  for (uint64_t i = 0; i < b.count; ++i) {
    uint32_t end = b.line_ends[i];
    segment_->Add(std::string_view(b.records).substr(begin, end - begin));
    begin = end;
    if (range_valid_) {
      if (missing_i < b.missing.size() && b.missing[missing_i] == i) {
        ++missing_i;
        range_valid_ = false;
        LOG_WARN("{}: entry {} has no leaf hash (undecodable leaf_input); Merkle checks stop here",
                 url_, b.first + i);
      } else {
        range_.Append(b.hashes[i]);
        TRY(CheckRoot());
      }
    }
    uint64_t next = b.first + i + 1;
    if (next == segment_end_) {
      TRY(Seal());
      segment_.emplace(next);
      segment_end_ = AlignedRequestEnd(next, target_, options_.segment_entries);
    }
  }
  bad_ += b.bad;
  return Status::Ok();
}

Status LogDownload::Commit() {
  segment_.emplace(committed_);
  segment_end_ = AlignedRequestEnd(committed_, target_, options_.segment_entries);
  for (;;) {
    Batch b;
    {
      std::unique_lock<std::mutex> l(mu_);
      for (;;) {
        if (next_ >= target_) break;
        if (auto it = ready_.find(next_); it != ready_.end()) {
          b = std::move(it->second);
          ready_.erase(it);
          next_ += b.count;
          position_ = next_;
          work_cv_.notify_all();
          break;
        }
        if (workers_alive_ == 0 && decoders_alive_ == 0) break;  // stopped or failed
        ready_cv_.wait_for(l, tuning_.poll);
      }
      if (b.count == 0) break;
    }
    TRY(Consume(b));
  }
  return Seal();  // the contiguous rest: a last, shorter segment when stopped early
}

Status LogDownload::Run() {
  started_ = ctx_.clock->Now();
  Status s = Prepare();
  bool prepared = s.ok();
  if (s.code() == Code::kCancelled && !failed_) s = Status::Ok();  // a signal before the first fetch
  if (prepared && committed_ < target_) {
    next_ = committed_;
    Range all;
    all.end = target_;
    pending_[committed_] = all;
    aimd_ = Aimd(tuning_.initial_inflight, options_.max_inflight);
    int n = std::max(1, options_.max_inflight);
    workers_alive_ = n;
    std::vector<std::thread> workers;
    workers.reserve(n);
    for (int i = 0; i < n; ++i) workers.emplace_back([this] { Worker(); });
    int d = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    decoders_alive_ = d;
    for (int i = 0; i < d; ++i) workers.emplace_back([this] { Decoder(); });
    std::thread writer([this] { WriterLoop(); });
    s = Commit();
    {
      std::lock_guard<std::mutex> l(wmu_);
      wclose_ = true;
      wcv_.notify_all();
    }
    writer.join();
    if (s.ok()) {
      std::lock_guard<std::mutex> l(wmu_);
      s = werr_;
    }
    if (!s.ok()) Fail(s);
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers) t.join();
    if (s.ok() && failed_) s = FirstError();
  }
  std::string status;
  if (!s.ok()) {
    status = s.message();
  } else if (prepared && committed_pub_ >= target_) {
    status = "complete";
  } else {
    status = fmt::format("stopped at {}", committed_pub_.load());
    LOG_INFO("{}: stopped at index {} of {} (committed; resume with the same command)", url_,
             committed_pub_.load(), target_);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    status_ = status;
  }
  finished_ = true;
  return s;
}

}  // namespace ctdl
