#include "sync/distributed.h"

#include <fmt/format.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "base/bytes.h"
#include "base/log.h"
#include "ct/merkle.h"
#include "ct/rfc6962_requests.h"
#include "sink/segment.h"
#include "sync/archive_guard.h"
#include "sync/chunk_fold.h"
#include "sync/chunk_plan.h"
#include "sync/log_owner.h"
#include "sync/log_source.h"
#include "sync/verify_step.h"
#include "x509/record.h"

namespace ctdl {
namespace {

int64_t UnixNow(Clock* clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock->WallNow().time_since_epoch()).count();
}

// The longest common prefix of the archive keys of [first, last]: lists only the chunk's objects.
std::string KeyPrefix(const std::string& slug, uint64_t first, uint64_t last) {
  std::string a = fmt::format("{:012}", first), b = fmt::format("{:012}", last);
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return SegmentPrefix(slug) + a.substr(0, n);
}

// Renews a lease every lease/3 until stopped or lost.
class Renewer {
 public:
  explicit Renewer(ChunkLease* lease) : lease_(lease), thread_([this] { Loop(); }) {}
  ~Renewer() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    const auto every = std::chrono::duration_cast<std::chrono::milliseconds>(lease_->lease() / 3);
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      // Real time on purpose: the lease expires in the store's (wall clock) time.
      if (cv_.wait_for(l, every, [&] { return stop_; })) break;
      l.unlock();
      Status s = lease_->Renew();
      l.lock();
      if (lease_->lost()) break;
      if (!s.ok()) LOG_WARN("renewing the lease of chunk {}: {}", lease_->chunk().index, s.message());
    }
  }

  ChunkLease* lease_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

DistributedLog::DistributedLog(std::string url, const DownloadOptions& options,
                               const DownloadContext& context, TokenBucket* host_bucket,
                               std::string owner, PipelineTuning tuning)
    : url_(NormalizeLogUrl(url)),
      options_(options),
      ctx_(context),
      bucket_(host_bucket),
      owner_(std::move(owner)),
      tuning_(tuning),
      slug_(LogSlug(url_)) {}

bool DistributedLog::Stopping() const { return ctx_.stop_signals && ctx_.stop_signals->load() > 0; }

void DistributedLog::Pause(std::chrono::milliseconds d) {
  SteadyTime until = ctx_.clock->Now() + d;
  while (!Stopping() && ctx_.clock->Now() < until)
    ctx_.clock->SleepFor(std::min<Duration>(until - ctx_.clock->Now(), std::chrono::milliseconds(100)));
}

Status DistributedLog::CleanupChunk(const Chunk& c) {
  TRY_ASSIGN(auto objects, ctx_.archive->List(KeyPrefix(slug_, c.first(), c.end() - 1)));
  for (const ObjectInfo& o : objects) {
    auto name = ParseSegmentKey(o.key);
    if (!name || name->first < c.first() || name->first >= c.end()) continue;  // not this chunk's
    if (name->first >= c.position) {
      // Written under an earlier lease of this chunk past what it committed (it died, stalled, or
      // the chunk was rejected): the chunk item proves it is this chunk's, and it is redone now —
      // as long as the folder is still this state store's (another may have adopted the object).
      TRY(claim_->Check());
      LOG_INFO("{}: removing {} (chunk {} is committed up to {} only)", url_, o.key, c.index, c.position);
      TRY(ctx_.archive->Delete(o.key));
    } else if (name->last >= c.position) {
      return Corrupt(fmt::format("{}: archive object {} straddles chunk {}'s committed position {}; "
                                 "not deleting it, please inspect",
                                 url_, o.key, c.index, c.position));
    }
  }
  return Status::Ok();
}

Status DistributedLog::HoldClaim(const LogState& state) {
  TRY_ASSIGN(WriterIdentity me, IdentifyWriter(*ctx_.store, ctx_.state_name));
  claim_ = std::make_unique<ArchiveClaim>(ctx_.archive, ctx_.clock, slug_, url_, std::move(me));
  TRY_ASSIGN(std::optional<WriterClaim> newest, claim_->Newest());
  if (newest) return claim_->Hold(*newest);
  TRY_ASSIGN(auto items, ctx_.store->ListChunks(url_));
  // This state has not distributed the log: anything past its position is foreign.
  if (items.empty()) TRY(RefuseSegmentsBeyond(*ctx_.archive, state, SegmentPrefix(slug_), ""));
  return claim_->Claim(1, "download --distributed");
}

Result<bool> DistributedLog::PlainOwnerActive() {
  TRY_ASSIGN(std::optional<Lease> holder, LiveOwnerOf(*ctx_.store, *ctx_.clock, url_));
  if (holder && !waiting_logged_)
    LOG_WARN("{}: a download without --distributed owns it ({}, lease {}); waiting until it ends", url_,
             holder->owner, holder->counter);
  waiting_logged_ = holder.has_value();
  return holder.has_value();
}

Status DistributedLog::Work(std::unique_ptr<ChunkLease> lease, uint64_t target, uint64_t tree_size,
                            const std::string& log_type) {
  const Chunk c = lease->chunk();
  LOG_INFO("{}: leased chunk {} [{}, {}) from {} (lease counter {})", url_, c.index, c.first(), target,
           c.position, c.counter);
  // The chunk item is written (leased) before the log's lease is read, and a plain download takes
  // the log's lease before it reads the chunk items: of two that start at once, one sees the other.
  if (auto plain = PlainOwnerActive(); !plain.ok() || *plain) {
    (void)lease->Release();
    return plain.status();
  }
  if (Status s = CleanupChunk(c); !s.ok()) {
    (void)lease->Release();
    return s;
  }
  ChunkJob job;
  job.lease = lease.get();
  job.log_type = log_type;
  job.position = c.position;
  job.target = target;
  job.tree_size = tree_size;
  job.compact_range = c.compact_range;
  job.claim = claim_.get();
  SteadyTime started = ctx_.clock->Now();
  Status s;
  {
    Renewer renewer(lease.get());
    LogDownload download(url_, options_, ctx_, bucket_, tuning_, &job);
    s = download.Run();
  }
  if (!s.ok() && !lease->lost()) {
    (void)lease->Release();  // fails (and marks the lease lost) when it was taken meanwhile
    if (!lease->lost() && s.code() != Code::kConflict) return s;
  }
  if (!s.ok() || lease->lost()) {  // lost, or expired before a write: on to the next chunk
    LOG_WARN("{}: chunk {}: lease lost or expired, stopped writing it{}", url_, c.index,
             s.ok() ? std::string() : " (" + s.message() + ")");
    return Status::Ok();
  }
  Chunk now = lease->chunk();
  if (now.position < target) return lease->Release();  // stopped by a signal: committed so far
  double secs = std::chrono::duration<double>(ctx_.clock->Now() - started).count();
  if (target < c.end()) {
    LOG_INFO("{}: chunk {} fetched up to the tree size {} in {:.1f} s", url_, c.index, target, secs);
    s = lease->Release();
  } else {
    auto local = CompactRange::Parse(now.compact_range);
    if (!local.ok() || local->size() != c.size) {  // an entry without a leaf hash: no subtree hash
      (void)lease->Release();
      return VerifyFailed(fmt::format("{}: chunk {} [{}, {}) has no usable Merkle state ({}); it "
                                      "cannot be verified",
                                      url_, c.index, c.first(), c.end(),
                                      local.ok() ? "wrong size" : local.status().message()));
    }
    s = lease->MarkDone(now.position, now.compact_range, Base64Encode(AsView(local->Root())));
    if (s.ok())
      LOG_INFO("{}: chunk {} [{}, {}) done in {:.1f} s ({:.0f} entries/s)", url_, c.index, c.first(),
               c.end(), secs, secs > 0 ? (c.end() - c.position) / secs : 0.0);
  }
  return s.code() == Code::kConflict ? Status::Ok() : s;  // lost at the last moment: theirs now
}

Status DistributedLog::Run() {
  TRY(CheckChunkEntries(options_.chunk_entries));
  std::mt19937_64 rng(std::random_device{}());
  const Duration lease = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(options_.lease_seconds));
  // Nothing to take: look again after a sixth of the lease (5 s at most: each look reads every chunk).
  const auto idle = std::chrono::milliseconds(
      std::clamp<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(lease / 6).count(), 200, 5000));
  ProofFetch fetch;
  fetch.timeout = tuning_.request_timeout;
  fetch.stop = ctx_.stop_signals;
  int lost = 0;
  bool warned = false;  // DownloadVerifier::Start ran once (its warnings about verification are out)
  for (;;) {
    if (Stopping()) return Status::Ok();
    TRY_ASSIGN(std::optional<LogState> state, ctx_.store->Get(url_));
    if (!state) return NotFound(url_ + " is not registered in the state");
    if (!manifest_checked_) {  // a prefix of another log, or of another state store, is refused
      const PrefixFacts facts{slug_, options_.segment_entries};
      bool has_manifest = false;
      TRY(CheckManifest(*ctx_.archive, *state, facts, /*write_missing=*/false, &has_manifest));
      TRY(HoldClaim(*state));
      if (!has_manifest) TRY(CheckManifest(*ctx_.archive, *state, facts, /*write_missing=*/true));
      manifest_checked_ = true;
    }
    TRY_ASSIGN(bool plain, PlainOwnerActive());
    if (plain) {
      Pause(idle);
      continue;
    }
    auto source = NewLogSource(*state, false);
    // The tree head counts against the host's rate, too (Reserve: zero when a slot was taken).
    for (Duration d; (d = bucket_->Reserve(ctx_.clock->Now())) > Duration::zero() && !Stopping();)
      Pause(std::chrono::ceil<std::chrono::milliseconds>(d));
    auto sth = FetchWithRetries(*ctx_.http, source->TreeHeadUrl(), fetch);
    if (!sth.ok()) return Stopping() ? Status::Ok() : sth.status().Annotate(url_ + ": tree head");
    // The head's signature and consistency with the stored head; without a key or with --no-verify
    // only parsed (DownloadVerifier::Start warns about that the first time only).
    DownloadVerifier verifier;
    TreeHead head;
    bool verify = false;
    if ((options_.verify && !state->key.empty()) || !warned) {
      warned = true;
      auto started = verifier.Start(*ctx_.http, *state, *sth, options_.verify, fetch);
      if (!started.ok()) return Stopping() ? Status::Ok() : started.status();
      head = started->head;
      verify = verifier.enabled();
      if (started->rebuilt && state->compact_range.empty() && state->position > 0) {
        // A position taken over without a Merkle state (the seed's table): store the rebuilt one.
        Progress p{state->position, state->verified_size, started->rebuilt->Serialize(),
                   verifier.unverified_prefix()};
        Status s = ctx_.store->Advance(url_, state->position, p);
        if (!s.ok() && s.code() != Code::kConflict) return s;
        continue;
      }
    } else {
      TRY_ASSIGN(head, ParseTreeHead(*state, *sth));
    }
    const uint64_t tree = head.size;
    if (tree > state->tree_size) TRY(ctx_.store->UpdateTreeHead(url_, tree, *sth));
    TRY_ASSIGN(auto items, ctx_.store->ListChunks(url_));
    TRY_ASSIGN(ChunkPlan plan, ChunkPlan::Make(*state, options_.chunk_entries, tree, items));
    TRY_ASSIGN(FoldResult fold, FoldChunks(ctx_.store, ctx_.http, *state, plan,
                                           verify ? &head : nullptr, fetch));
    if (fold.raced || fold.rejected) continue;  // re-read what changed
    if (fold.position >= tree) {
      LOG_INFO("{}: complete: position {} = tree size, verified {}", url_, fold.position,
               fold.verified_size);
      return Status::Ok();
    }
    if (fold.position != state->position) continue;  // plan again from the new position
    // Lease a chunk: a random one among the lowest with work (ChunkPlan::Pick); a lost race tries
    // another from the same listing, three in a row read the chunks again.
    std::vector<uint64_t> skip;
    bool worked = false;
    for (int tries = 0; tries < 3 && !Stopping(); ++tries) {
      const Chunk* pick = plan.Pick(UnixNow(ctx_.clock), lost, skip, rng);
      if (!pick) break;
      auto taken = ChunkLease::Take(ctx_.store, *pick, owner_, lease, ctx_.clock);
      if (taken.status().code() == Code::kConflict || taken.status().code() == Code::kNotFound) {
        LOG_DEBUG("{}: chunk {} was taken by another worker first", url_, pick->index);
        ++lost;
        skip.push_back(pick->index);
        continue;
      }
      TRY(taken.status());
      lost = 0;
      worked = true;
      TRY(Work(std::move(taken).value(), plan.Target(*pick), tree, state->log_type));
      break;
    }
    if (worked || !skip.empty()) continue;
    if (const Chunk* blocked = plan.Blocked(); blocked && plan.Leased(UnixNow(ctx_.clock)) == 0)
      return VerifyFailed(fmt::format("{}: {}; rejected {} times, so the position stays at {} (verified "
                                      "{}). Delete that chunk's item to try again",
                                      url_, blocked->note, blocked->rejected, fold.position,
                                      fold.verified_size));
    Pause(idle);  // every chunk with work is leased by others: wait for them (or their expiry)
  }
}

Status RunDistributed(const DownloadOptions& options, const DownloadContext& context) {
  TRY(CheckChunkEntries(options.chunk_entries));
  if (!(options.lease_seconds >= 1)) return InvalidArgument("--lease-seconds must be at least 1");
  const std::string owner = LeaseOwnerId();
  LOG_INFO("distributed download as {} (chunks of {} entries, leases of {:g} s)", owner,
           options.chunk_entries, options.lease_seconds);
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets;  // one per host, as RunDownload
  std::vector<std::unique_ptr<DistributedLog>> logs;
  std::set<std::string> seen;
  for (const std::string& u : options.urls) {
    std::string url = NormalizeLogUrl(u);
    if (!seen.insert(url).second) continue;
    auto& bucket = buckets[UrlHost(url)];
    if (!bucket) bucket = std::make_unique<TokenBucket>(options.max_rps);
    logs.push_back(std::make_unique<DistributedLog>(url, options, context, bucket.get(), owner));
  }
  std::vector<Status> results(logs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < logs.size(); ++i) threads.emplace_back([&, i] { results[i] = logs[i]->Run(); });
  for (auto& t : threads) t.join();
  for (const Status& s : results)
    if (!s.ok()) return s;
  return Status::Ok();
}

}  // namespace ctdl
