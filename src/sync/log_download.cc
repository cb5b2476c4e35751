// LogDownload: Prepare (state, lease, archive prefix, verified tree head, plan) and RunStages, the
// wiring of the stages: sync/scheduler.h, sync/fetch_stage.h, sync/decode_pool.h, sync/committer.h,
// sync/segment_writer.h.
#include "sync/log_download.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "base/log.h"
#include "ct/rfc6962_requests.h"
#include "net/retrier.h"
#include "sync/archive_guard.h"
#include "sync/committer.h"
#include "sync/decode_pool.h"
#include "sync/fetch_stage.h"
#include "sync/segment_writer.h"
#include "x509/record.h"

namespace ctdl {

LogDownload::LogDownload(std::string url, const DownloadOptions& options,
                         const DownloadContext& context, TokenBucket* host_bucket,
                         PipelineTuning tuning, const ChunkJob* chunk)
    : url_(NormalizeLogUrl(url)),
      options_(options),
      ctx_(context),
      bucket_(host_bucket),
      tuning_(tuning),
      chunk_(chunk),
      slug_(LogSlug(url_)),
      control_(context.stop_signals) {
  if (auto c = ParseCompression(options.compression); c.ok()) compression_ = *c;
}

LogDownload::~LogDownload() = default;

bool LogDownload::Stopping() const {
  return control_.Stopping() || (chunk_ && chunk_->lease->lost());
}

bool LogDownload::SleepUntil(SteadyTime t) {
  for (;;) {
    if (Stopping()) return false;
    SteadyTime now = ctx_.clock->Now();
    if (now >= t) return true;
    ctx_.clock->SleepFor(std::min<Duration>(t - now, tuning_.poll));
  }
}

bool LogDownload::WaitForSlot() {
  for (;;) {
    Duration wait = bucket_->Reserve(ctx_.clock->Now());
    if (wait <= Duration::zero()) return true;
    if (!SleepUntil(ctx_.clock->Now() + wait)) return false;
  }
}

LogProgress LogDownload::Snapshot() const {
  LogProgress p;
  p.url = url_;
  p.start = start_pos_;
  p.position = n_.position;
  p.committed = n_.committed;
  p.target = target_pub_;
  p.tree_size = tree_pub_;
  p.bytes_in = n_.bytes_in;
  p.bytes_out = n_.bytes_out;
  p.retries = n_.retries;
  p.throttled = n_.throttled;
  p.bad_entries = n_.bad;
  p.segments = n_.segments;
  p.verified = n_.verified;
  p.last_commit_unix = n_.last_commit_unix;
  p.finished = finished_;
  if (started_ != SteadyTime{})
    p.seconds = std::chrono::duration<double>(ctx_.clock->Now() - started_).count();
  std::lock_guard<std::mutex> l(mu_);
  p.status = status_;
  return p;
}

// ---- preparation -------------------------------------------------------------------------------

// The tree head (get-sth JSON or checkpoint note, by the log's source), through net/retrier.h:
// paced by the host's bucket, a body that does not parse is retried, DNS/TLS failures end it at once.
Result<SignedTreeHead> LogDownload::FetchSth() {
  HttpRequest req;
  req.timeout = tuning_.request_timeout;
  Retrier::Hooks hooks;
  SteadyTime sent{};
  hooks.before_attempt = [&] {
    WaitForSlot();  // false when stopping: the retrier sees Stopping() next
    sent = ctx_.clock->Now();
    return Duration::zero();
  };
  hooks.after_attempt = [&](const HttpResponse&, const Verdict& v) {  // it took a token too
    if (v.disposition == Disposition::kSuccess) bucket_->OnSuccess(sent);
    if (v.disposition == Disposition::kThrottled) bucket_->OnThrottled(sent, v.retry_after);
  };
  const std::string url = source_->TreeHeadUrl();
  hooks.on_retry = [&](const Retrier::Outcome& o, Duration delay) {
    if (o.verdict.disposition == Disposition::kThrottled) ++n_.throttled;
    else ++n_.retries;
    LOG_DEBUG("{}: {}; retrying in {:.1f}s", url, o.why, std::chrono::duration<double>(delay).count());
  };
  Retrier retrier(*ctx_.http, *ctx_.clock, RetryPolicy{tuning_.max_attempts, tuning_.backoff},
                  [this] { return Stopping(); });
  LogSource::FetchedHead got = source_->FetchTreeHead(retrier, req, hooks);
  const Retrier::Outcome& out = got.outcome;
  if (out.ok()) {
    sth_body_ = std::move(got.outcome.response.body);
    return *got.head;
  }
  if (out.stopped) return Cancelled(url_ + ": stopped before the tree head was read");
  if (!out.exhausted())
    return Unavailable(fmt::format("{}: {} (retrying will not help)", url, out.why));
  return Unavailable(fmt::format("{}: {} (after {} attempts)", url, out.why, out.attempts));
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
  req.timeout = tuning_.request_timeout;
  RetryPolicy once;
  once.max_attempts = 1;  // a hint only: the 400s go on being retried either way
  Retrier retrier(*ctx_.http, *ctx_.clock, once, [this] { return Stopping(); });
  LogSource::FetchedHead got = source_->FetchTreeHead(retrier, req);
  if (!got.outcome.ok()) return;
  const std::optional<SignedTreeHead>& sth = got.head;
  const HttpResponse& resp = got.outcome.response;
  LOG_DEBUG("{}: tree head re-read after HTTP 400: size {}", url_, sth->tree_size);
  if (sth->tree_size > tree_pub_) {
    if (Status v = verifier_.CheckLaterHead(resp.body); !v.ok()) {
      if (v.code() == Code::kVerifyFailed) control_.Fail(v);
      return;  // not stored
    }
    tree_pub_ = sth->tree_size;
    (void)ctx_.store->UpdateTreeHead(url_, sth->tree_size, resp.body);
  }
}

// A leased chunk: its own position and local compact range, no signed roots (the fold checks the
// chunk's subtree), no cleanup and no tree head (the chunk worker did both).
Status LogDownload::PrepareChunk() {
  source_ = NewLogSource(chunk_->log_type, url_, (options_.fields & kFieldChain) != 0);
  source_->SetTreeSize(chunk_->tree_size);
  plan_.position = chunk_->position;
  plan_.target = chunk_->target;
  if (!chunk_->compact_range.empty()) {
    TRY_ASSIGN(plan_.range, CompactRange::Parse(chunk_->compact_range));
  }
  plan_.range_valid = true;
  start_pos_ = plan_.position;
  n_.position = plan_.position;
  n_.committed = plan_.position;
  target_pub_ = plan_.target;
  tree_pub_ = chunk_->tree_size;
  return Status::Ok();
}

Status LogDownload::Prepare() {
  if (chunk_) return PrepareChunk();
  TRY_ASSIGN(std::optional<LogState> state, ctx_.store->Get(url_));
  if (!state) {
    LogState s;
    s.url = url_;
    TRY(ctx_.store->Register({s}, false));
    LOG_INFO("{}: not in the state yet; registered it", url_);
  }
  // The lease first (a second process stops here, having written nothing), then the state as the
  // previous owner left it, then the archive prefix (sync/archive_guard.h).
  owner_ = std::make_unique<LogOwner>(ctx_.store, ctx_.clock, url_);
  TRY(owner_->Acquire());
  owner_->StartHeartbeat([this](Status lost) { control_.Fail(lost); });
  {  // read after the lease is taken (distributed workers read the lease after taking a chunk)
    TRY_ASSIGN(auto chunks, ctx_.store->ListChunks(url_));
    if (!chunks.empty())
      return Conflict(fmt::format("{} is downloaded with --distributed (chunks of {} entries in the state): "
                                  "add --distributed; nothing was written",
                                  url_, chunks.front().size));
  }
  TRY_ASSIGN(state, ctx_.store->Get(url_));
  if (!state) return NotFound(url_ + ": no longer in the state store (was it deleted or reset?)");
  source_ = NewLogSource(*state, (options_.fields & kFieldChain) != 0);
  log_id_ = state->log_id;
  if (log_id_.empty() && !state->key.empty())
    if (auto key = Base64Decode(state->key); key.ok()) log_id_ = Base64Encode(AsView(Sha256(*key)));
  plan_.position = state->position;
  plan_.verified_size = std::min(state->verified_size, plan_.position);
  if (state->compact_range.empty()) {
    plan_.range_valid = plan_.position == 0;
  } else {
    auto r = CompactRange::Parse(state->compact_range);
    plan_.range_valid = r.ok() && r->size() == plan_.position;
    if (plan_.range_valid) plan_.range = std::move(r).value();
  }
  if (!plan_.range_valid && !options_.verify)
    LOG_WARN("{}: no usable Merkle compact range for position {}; roots are not checked this run",
             url_, plan_.position);
  {  // which state store writes the folder (sync/archive_claim.h), then what the folder holds
    TRY_ASSIGN(WriterIdentity me, IdentifyWriter(*ctx_.store, ctx_.state_name));
    claim_ = std::make_unique<ArchiveClaim>(ctx_.archive, ctx_.clock, slug_, url_, std::move(me));
  }
  TRY(PrepareArchivePrefix(*ctx_.archive, *owner_, *claim_, *state, {slug_, options_.segment_entries}));
  TRY_ASSIGN(SignedTreeHead sth, FetchSth());
  {  // Verified before its size is used; a taken-over position gets its Merkle state rebuilt.
    ProofFetch pf;
    pf.timeout = tuning_.request_timeout;
    pf.stop = ctx_.stop_signals;
    TRY_ASSIGN(auto started, verifier_.Start(*ctx_.http, *state, sth_body_, options_.verify, pf));
    if (started.rebuilt && !plan_.range_valid) {
      plan_.range = std::move(*started.rebuilt);
      plan_.range_valid = true;
    }
  }
  source_->SetTreeSize(sth.tree_size);
  TRY(ctx_.store->UpdateTreeHead(url_, sth.tree_size, sth_body_));
  if (!state->sth.empty()) {
    if (auto old = source_->ParseTreeHead(state->sth); old.ok() && old->tree_size > plan_.position)
      plan_.signed_roots[old->tree_size] = old->root_hash;
  }
  plan_.signed_roots[sth.tree_size] = sth.root_hash;
  plan_.target = sth.tree_size;
  if (options_.end) plan_.target = std::min(plan_.target, *options_.end);
  start_pos_ = plan_.position;
  n_.position = plan_.position;
  n_.committed = plan_.position;
  n_.verified = plan_.verified_size;
  target_pub_ = std::max(plan_.target, plan_.position);
  tree_pub_ = sth.tree_size;
  return Status::Ok();
}

// The stages and the queues between them (doc/download.md):
//   Scheduler -> FetchStage -> replies -> DecodePool -> batches -> Committer -> sealed -> SegmentWriter
// Each stage ends its output when it is done; the committer ending (target reached, root mismatch,
// writer gone) cancels its input, which stops the stages before it.
Status LogDownload::RunStages() {
  Scheduler::Config sc;
  sc.position = plan_.position;
  sc.target = plan_.target;
  sc.window_entries = tuning_.window_entries;
  sc.initial_inflight = tuning_.initial_inflight;
  sc.start_doubling = tuning_.start_doubling;
  sc.max_inflight = options_.max_inflight;
  sc.max_attempts = tuning_.max_attempts;
  sc.max_bad_json = tuning_.max_bad_json;
  sc.max_stale = tuning_.max_stale;
  sc.max_throttled = tuning_.max_throttled;
  sc.backoff = tuning_.backoff;
  sc.poll = tuning_.poll;
  Scheduler scheduler(sc, source_.get(), ctx_.clock, bucket_, [this] { return Stopping(); });
  control_.AddWakeup([&scheduler] { scheduler.Wake(); });

  const int decoders = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  ClosableQueue<FetchedReply> replies(2 * decoders);
  ClosableQueue<Batch> batches(64);
  ClosableQueue<SealedSegment> sealed(1);  // held while written: one written, one assembled

  FetchStage::Config fc;
  fc.request_timeout = tuning_.request_timeout;
  fc.poll = tuning_.poll;
  fc.stopping = [this] { return Stopping(); };
  fc.on_stale = [this] { RefreshSth(); };
  if (!chunk_) {  // the last segment's consistency proof, fetched while its entries are (verify_step.h)
    fc.last_end = plan_.target;
    fc.on_last_claim = [this] {
      auto sent = std::make_shared<SteadyTime>();
      verifier_.PrefetchProof(
          plan_.target, [this, sent] { WaitForSlot(); *sent = ctx_.clock->Now(); },
          [this, sent](bool ok) { if (ok) bucket_->OnSuccess(*sent); });
    };
  }
  FetchStage fetch(std::move(fc), *source_, scheduler, *ctx_.http, *ctx_.clock, *bucket_, control_, n_);
  // The decoders compress the segment pieces that lie wholly in their reply (sync/batch.h).
  const PiecePlan pieces{compression_, options_.segment_entries, plan_.position, plan_.target};
  DecodePool decode(*source_, scheduler, {options_.fields, log_id_, url_, &pieces}, control_, n_);
  plan_.url = url_;
  plan_.segment_entries = options_.segment_entries;
  plan_.verify = options_.verify;
  plan_.compression = compression_;
  Committer committer(plan_, &n_, [&scheduler](uint64_t next) { scheduler.SetPosition(next); });
  // --follow's --rotate-seconds holds within a run too: a long catch-up reaches the archive by time.
  committer.SealByAge(ctx_.clock, std::chrono::duration_cast<Duration>(
                                      std::chrono::duration<double>(options_.rotate_seconds)));
  SegmentWriter writer({url_, slug_, compression_, chunk_ ? chunk_->lease : nullptr, owner_.get(),
                        chunk_ ? chunk_->claim : claim_.get()},
                       ctx_,
                       &verifier_, &control_, &n_);

  fetch.Start(std::max(1, options_.max_inflight), replies);
  decode.Start(decoders, replies, batches);
  Status ws;
  std::thread writer_thread([&] { ws = writer.Run(sealed); });
  Status s = committer.Run(batches, sealed);  // on this thread
  writer_thread.join();
  if (s.ok()) s = ws;
  if (!s.ok()) control_.Fail(s);
  scheduler.Close();  // nothing more to claim
  replies.Cancel();   // a fetcher waiting to hand over a reply gives up
  fetch.Join();
  decode.Join();
  control_.ClearWakeups();
  if (s.ok() && control_.failed()) s = control_.FirstError();
  return s;
}

Status LogDownload::Run() {
  started_ = ctx_.clock->Now();
  Status s = Prepare();
  bool prepared = s.ok();
  if (s.code() == Code::kCancelled && !control_.failed()) s = Status::Ok();  // a signal before any fetch
  if (prepared && plan_.position < plan_.target) s = RunStages();
  if (owner_) {  // a lease lost or a state store gone meanwhile is an error, not "complete"
    Status released = owner_->Release();
    if (s.ok() && !released.ok()) s = released;
  }
  std::string status;
  if (!s.ok()) {
    status = s.message();
  } else if (prepared && n_.committed >= plan_.target) {
    status = "complete";
  } else if (!prepared) {
    status = "stopped before the tree head was read";
    LOG_INFO("{}: {} (nothing downloaded; resume with the same command)", url_, status);
  } else {
    status = fmt::format("stopped at {}", n_.committed.load());
    LOG_INFO("{}: stopped at index {} of {} (committed; resume with the same command)", url_,
             n_.committed.load(), plan_.target);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    status_ = status;
  }
  finished_ = true;
  return s;
}

}  // namespace ctdl
