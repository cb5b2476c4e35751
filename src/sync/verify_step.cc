#include "sync/verify_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "ct/proof.h"
#include "ct/rfc6962_entries.h"
#include "ct/tile_path.h"
#include "ct/tree_head.h"
#include "net/retrier.h"
#include "net/retry.h"
#include "sync/log_source.h"

namespace ctdl {
namespace {

bool IsTiled(const LogState& log) { return log.log_type == "tiled"; }

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

std::string Roots(uint64_t size1, const Hash256& root1, uint64_t size2, const Hash256& root2) {
  return fmt::format("tree size {} (root {}) and tree size {} (root {})", size1, RootToString(root1), size2,
                     RootToString(root2));
}

// Runs op (a computation over hash tiles) with the tiles it needs fetched first, in parallel: a dry run
// with zero-filled tiles records which tiles it asks for (which depends only on the sizes), then up to 8
// threads fetch them into `fetch` (a caching fetcher), then op runs for real. Tiles the dry run missed
// are simply fetched when asked.
template <typename Op>
auto WithPrefetchedTiles(const TileFetcher& fetch, Op op) {
  std::vector<TileRef> wanted;
  TileFetcher record = [&wanted](const TileRef& t) -> Result<std::string> {
    wanted.push_back(t);
    return std::string(32 * size_t{t.width}, '\0');
  };
  (void)op(record);
  if (wanted.size() > 1) {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    size_t n = std::min<size_t>(wanted.size(), 8);
    for (size_t t = 0; t < n; ++t)
      threads.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < wanted.size();) (void)fetch(wanted[i]);
      });
    for (auto& t : threads) t.join();
  }
  return op(fetch);
}

}  // namespace

Result<LogVerifier> VerifierForLog(const LogState& log) {
  if (log.key.empty())
    return InvalidArgument(log.url +
                           ": no public key in the state (registered without a log list?); run `ctdl init` "
                           "with a log list naming it, or pass --no-verify");
  auto v = LogVerifier::Create(log.key, log.log_id);
  if (!v.ok()) return v.status().Annotate(log.url + ": the log list's key");
  return v;
}

std::string CheckpointOrigin(const LogState& log) {
  std::string_view u = log.submission_url.empty() ? log.url : log.submission_url;
  if (auto p = u.find("://"); p != std::string_view::npos) u.remove_prefix(p + 3);
  while (!u.empty() && u.back() == '/') u.remove_suffix(1);
  return std::string(u);
}

// Both are the log's source's (sync/log_source.h), the one implementation per API.
namespace {
TreeHead ToTreeHead(const SignedTreeHead& sth) {
  TreeHead h;
  h.size = sth.tree_size;
  h.root = sth.root_hash;
  h.timestamp = sth.timestamp;
  return h;
}
}  // namespace

Result<TreeHead> ParseTreeHead(const LogState& log, std::string_view text) {
  std::unique_ptr<LogSource> source = NewLogSource(log, false);
  auto sth = source->ParseTreeHead(text);
  if (!sth.ok()) return sth.status().Annotate(source->TreeHeadUrl());
  return ToTreeHead(*sth);
}

Result<TreeHead> VerifyTreeHead(const LogState& log, const LogVerifier& verifier, std::string_view text) {
  TRY_ASSIGN(SignedTreeHead sth, NewLogSource(log, false)->VerifyTreeHead(verifier, text));
  return ToTreeHead(sth);
}

Result<std::string> FetchWithRetries(HttpClient& http, const std::string& url, const ProofFetch& opts,
                                     const std::function<Status(const std::string&)>& check) {
  HttpRequest req;
  req.url = url;
  req.timeout = opts.timeout;
  req.accept_gzip = true;
  RetryPolicy policy;
  policy.max_attempts = opts.attempts;
  policy.backoff = Backoff{opts.first_backoff, std::chrono::seconds(8)};
  policy.max_retry_after = std::chrono::seconds(10);
  const std::atomic<int>* flag = opts.stop ? opts.stop : opts.no_retry;
  policy.stop_ends_retries_only = !opts.stop && opts.no_retry;
  std::function<bool()> stop;
  if (flag) stop = [flag] { return flag->load() > 0; };
  Retrier retrier(http, opts.clock ? *opts.clock : *RealClock(), policy, stop);
  Retrier::Check body_ok;
  if (check) body_ok = [&check](const HttpResponse& r) { return check(r.body); };
  Retrier::Outcome out = retrier.Run(req, Classify, body_ok);
  if (out.ok()) return std::move(out.response.body);
  if (out.stopped) return Cancelled(url + ": stopped");
  return Unavailable(fmt::format("{}: {}", url, out.why));
}

Result<std::vector<Hash256>> FetchConsistencyProof(HttpClient& http, const std::string& log_url,
                                                   uint64_t first, uint64_t second, const ProofFetch& opts) {
  std::string url = fmt::format("{}ct/v1/get-sth-consistency?first={}&second={}", log_url, first, second);
  TRY_ASSIGN(std::string body, FetchWithRetries(http, url, opts, [](const std::string& b) {
               return ParseGetSthConsistency(b).status();
             }));
  auto proof = ParseGetSthConsistency(body);
  if (!proof.ok()) return proof.status().Annotate(url);
  return proof;
}

TileFetcher HttpTileFetcher(HttpClient& http, const std::string& log_url, const ProofFetch& opts) {
  struct Cache {
    std::mutex mu;
    std::map<std::string, std::string> tiles;
  };
  auto cache = std::make_shared<Cache>();
  return [&http, log_url, opts, cache](const TileRef& tile) -> Result<std::string> {
    std::string path = TilePath(tile);
    {
      std::lock_guard<std::mutex> l(cache->mu);
      if (auto it = cache->tiles.find(path); it != cache->tiles.end()) return it->second;
    }
    // A short body (truncated reply) is retried; the caller checks the length again.
    auto length_is = [](size_t want) {
      return [want](const std::string& b) {
        return b.size() == want || b.size() == 32 * kTileWidth
                   ? Status::Ok()
                   : Corrupt(fmt::format("hash tile of {} bytes, expected {}", b.size(), want));
      };
    };
    auto body = FetchWithRetries(http, log_url + path, opts, length_is(32 * size_t{tile.width}));
    if (!body.ok() && tile.is_partial()) {
      TileRef full = tile;
      full.width = kTileWidth;
      body = FetchWithRetries(http, log_url + TilePath(full), opts, length_is(32 * kTileWidth));
    }
    if (!body.ok()) return body.status();
    std::lock_guard<std::mutex> l(cache->mu);
    if (cache->tiles.size() > 256) cache->tiles.clear();  // bounded: proofs need a few per level
    cache->tiles[path] = *body;
    return body;
  };
}

Status ProveExtends(HttpClient& http, const LogState& log, uint64_t size1, const Hash256& root1,
                    uint64_t size2, const Hash256& root2, const ProofFetch& opts, const TileFetcher* tiles) {
  auto fail = [&](const Status& why) {
    return VerifyFailed(fmt::format("{}: signed {} are not consistent: {}", log.url,
                                    Roots(size1, root1, size2, root2), why.message()));
  };
  if (size2 < size1) return fail(VerifyFailed("the tree size went backwards (a shrinking log)"));
  if (size1 == size2) {
    if (root1 == root2) return Status::Ok();
    return fail(VerifyFailed("two different roots for the same size (a forked log)"));
  }
  if (size1 == 0) return Status::Ok();
  Status s;
  if (IsTiled(log)) {
    TileFetcher f = tiles ? *tiles : HttpTileFetcher(http, log.url, opts);
    s = WithPrefetchedTiles(
        f, [&](const TileFetcher& g) { return VerifyConsistencyFromTiles(size1, root1, size2, root2, g); });
  } else {
    auto proof = FetchConsistencyProof(http, log.url, size1, size2, opts);
    if (!proof.ok()) return proof.status().Annotate(log.url + ": consistency proof");
    s = VerifyConsistency(size1, size2, root1, root2, *proof);
  }
  if (s.code() == Code::kVerifyFailed) return fail(s);
  if (!s.ok()) return s.Annotate(log.url + ": consistency proof");
  return Status::Ok();
}

Status ProvePrefix(HttpClient& http, const LogState& log, const CompactRange& range, const TreeHead& head,
                   const ProofFetch& opts, const TileFetcher* tiles, const std::vector<Hash256>* fetched) {
  uint64_t p = range.size();
  Hash256 root = range.Root();
  auto fail = [&](const std::string& why) {
    return VerifyFailed(fmt::format(
        "{}: Merkle root of the downloaded entries [0, {}) is {}, which is not {} the signed tree head of "
        "size {} (root {}): {}",
        log.url, p, RootToString(root), p == head.size ? "the root of" : "consistent with", head.size,
        RootToString(head.root), why));
  };
  if (p > head.size) return fail("the position is beyond the signed tree size");
  if (p == head.size) return root == head.root ? Status::Ok() : fail("the roots differ");
  if (p == 0) return Status::Ok();
  Status s;
  if (IsTiled(log)) {
    TileFetcher f = tiles ? *tiles : HttpTileFetcher(http, log.url, opts);
    s = WithPrefetchedTiles(f, [&](const TileFetcher& g) {
      return VerifyConsistencyFromTiles(p, root, head.size, head.root, g);
    });
  } else if (fetched) {
    s = VerifyConsistency(p, head.size, root, head.root, *fetched);
  } else {
    auto proof = FetchConsistencyProof(http, log.url, p, head.size, opts);
    if (!proof.ok()) return proof.status().Annotate(log.url + ": consistency proof");
    s = VerifyConsistency(p, head.size, root, head.root, *proof);
  }
  if (s.code() == Code::kVerifyFailed) return fail(s.message());
  if (!s.ok()) return s.Annotate(log.url + ": consistency proof");
  return Status::Ok();
}

Result<CompactRange> RebuildCompactRange(HttpClient& http, const LogState& log, uint64_t position,
                                         const TreeHead& head, const ProofFetch& opts,
                                         const TileFetcher* tiles) {
  if (position >= head.size)
    return InvalidArgument(
        fmt::format("{}: cannot rebuild the Merkle state at position {}: the signed tree "
                    "size is {} (a larger signed head is needed)",
                    log.url, position, head.size));
  if (position == 0) return CompactRange();
  if (IsTiled(log)) {
    TileFetcher f = tiles ? *tiles : HttpTileFetcher(http, log.url, opts);
    auto r = WithPrefetchedTiles(f, [&](const TileFetcher& g) {
      return VerifiedCompactRangeFromTiles(position, head.size, head.root, g);
    });
    if (!r.ok()) return r.status().Annotate(log.url);
    return r;
  }
  uint64_t k = position;
  if (IsPowerOfTwo(k)) k = position - 1;
  if (IsPowerOfTwo(k)) k = 0;  // position 1 or 2
  CompactRange range;
  if (k > 0) {
    TRY_ASSIGN(auto proof, FetchConsistencyProof(http, log.url, k, head.size, opts));
    auto r = CompactRangeFromConsistencyProof(k, head.size, head.root, proof);
    if (!r.ok())
      return r.status().Annotate(log.url + ": rebuilding the Merkle state of [0, " + std::to_string(k) + ")");
    range = std::move(r).value();
  }
  // Entries [k, position): at most 2; hashed here, proven by the next consistency check.
  GetEntriesDecoder decoder;
  while (range.size() < position) {
    uint64_t start = range.size();
    std::string url = fmt::format("{}ct/v1/get-entries?start={}&end={}", log.url, start, position - 1);
    GetEntriesDecoder check_decoder;
    TRY_ASSIGN(std::string body, FetchWithRetries(http, url, opts, [&](const std::string& b) {
                 std::vector<LogEntry> e;
                 return check_decoder.Decode(b, start, position - start, &e);
               }));
    std::vector<LogEntry> entries;
    TRY(decoder.Decode(body, start, position - start, &entries).Annotate(url));
    if (entries.empty()) return Unavailable(url + ": no entries in the reply");
    for (const LogEntry& e : entries) {
      if (!e.has_leaf_hash) return Corrupt(fmt::format("{}: entry {} has no leaf_input", url, e.index));
      range.Append(e.leaf_hash);
    }
  }
  return range;
}

Result<DownloadVerifier::Started> DownloadVerifier::Start(HttpClient& http, const LogState& state,
                                                          std::string_view sth_text, bool enabled,
                                                          const ProofFetch& fetch) {
  http_ = &http;
  log_ = state;
  prefetch_ = std::make_shared<Prefetch>();  // before any thread may call PrefetchProof
  // After Start, proofs run while segments in flight are committed after a first stop signal: they
  // must not give up because of it (a second signal exits the process anyway).
  ProofFetch later = fetch;
  later.no_retry = fetch.stop;
  later.stop = nullptr;
  fetch_ = later;
  if (IsTiled(state)) tiles_ = HttpTileFetcher(http, state.url, later);
  unverified_prefix_ = std::min(state.unverified_prefix, state.position);
  Started out;
  if (enabled && state.key.empty()) {
    LOG_WARN(
        "{}: no public key in the state (registered without a log list): tree heads, Merkle roots "
        "and proofs are NOT checked; register it with `ctdl init` to verify it",
        state.url);
    enabled = false;
  }
  if (!enabled && !state.key.empty())
    LOG_WARN(
        "{}: --no-verify: tree head signatures, Merkle roots and consistency proofs are NOT "
        "checked; verified_size does not move",
        state.url);
  enabled_ = enabled;
  if (!enabled_) {
    TRY_ASSIGN(out.head, ParseTreeHead(state, sth_text));
    head_ = out.head;
    return out;
  }
  auto verifier_or = VerifierForLog(state);
  if (!verifier_or.ok())  // a key that does not parse or does not match the log_id: nothing can be trusted
    return VerifyFailed(verifier_or.status().message());
  const LogVerifier& verifier = *verifier_or;
  TRY_ASSIGN(out.head, VerifyTreeHead(state, verifier, sth_text));
  head_ = out.head;
  if (!state.sth.empty()) {
    auto old = VerifyTreeHead(state, verifier, state.sth);
    if (old.ok() && old->size > head_.size) {
      // An older head than the stored one (a lagging frontend or cache): not a fork if it is a prefix
      // of the stored tree. The download then stops at the older size; the stored head stays.
      TRY(ProveExtends(http, state, head_.size, head_.root, old->size, old->root, fetch,
                       tiles_ ? &tiles_ : nullptr));
      LOG_WARN("{}: the log served tree size {}, older than the stored {} (a lagging frontend?); it is "
               "consistent with the stored head, so this run downloads up to {}",
               state.url, head_.size, old->size, head_.size);
    } else if (old.ok()) {
      TRY(ProveExtends(http, state, old->size, old->root, head_.size, head_.root, fetch,
                       tiles_ ? &tiles_ : nullptr));
    } else if (old.status().code() == Code::kVerifyFailed) {
      return old.status().Annotate("the tree head stored in the state");
    }
  }
  bool has_range = !state.compact_range.empty();
  range_expected_ = has_range || state.position == 0;
  if (!has_range && state.position > 0) {
    // A position taken over from the seed's table: rebuild the Merkle state of [0, position) from the
    // log, proven against the signed head (doc/verification.md section 4).
    auto rebuilt = RebuildCompactRange(http, state, state.position, head_, fetch, tiles_ ? &tiles_ : nullptr);
    if (rebuilt.ok()) {
      LOG_INFO(
          "{}: Merkle state of [0, {}) rebuilt from the log and proven against tree size {}; "
          "entries from {} on are verified, [0, {}) was downloaded by another tool and stays "
          "unverified",
          state.url, state.position, head_.size, state.position, state.position);
      out.rebuilt = std::move(rebuilt).value();
      unverified_prefix_ = state.position;
      range_expected_ = true;
    } else if (rebuilt.status().code() == Code::kVerifyFailed) {
      return rebuilt.status();
    } else {
      LOG_WARN(
          "{}: cannot rebuild the Merkle state of [0, {}) ({}); this run is NOT verified "
          "(`ctdl status --verified` shows it)",
          state.url, state.position, rebuilt.status().message());
      unverified_prefix_ = state.position;
    }
  }
  return out;
}

Status DownloadVerifier::CheckLaterHead(std::string_view sth_text) const {
  if (!enabled_) return Status::Ok();
  TRY_ASSIGN(LogVerifier verifier, VerifierForLog(log_));
  TRY_ASSIGN(TreeHead later, VerifyTreeHead(log_, verifier, sth_text));
  return ProveExtends(*http_, log_, head_.size, head_.root, later.size, later.root,
                      fetch_);  // other tree size
}

Result<uint64_t> DownloadVerifier::Prove(uint64_t position, std::string_view range_text,
                                         uint64_t verified_so_far, uint64_t committed) {
  if (!enabled_) return verified_so_far;
  if (range_text.empty()) {
    if (!range_expected_) return verified_so_far;
    return VerifyFailed(
        fmt::format("{}: the Merkle state was lost before position {} (an entry without a "
                    "leaf hash); nothing past position {} is committed",
                    log_.url, position, committed));
  }
  auto range = CompactRange::Parse(range_text);
  if (!range.ok()) return range.status().Annotate(log_.url + ": compact range");
  if (range->size() != position)
    return Internal(
        fmt::format("{}: compact range of size {} for position {}", log_.url, range->size(), position));
  std::optional<std::vector<Hash256>> proof = TakePrefetched(position);
  Status s = ProvePrefix(*http_, log_, *range, head_, fetch_, tiles_ ? &tiles_ : nullptr,
                         proof ? &*proof : nullptr);
  if (s.code() == Code::kVerifyFailed)
    return VerifyFailed(
        fmt::format("{}; stopping: nothing past position {} is committed", s.message(), committed));
  TRY(s);
  return position;
}

struct DownloadVerifier::Prefetch {
  std::mutex mu;
  uint64_t position = 0;
  std::future<Result<std::vector<Hash256>>> proof;
};

void DownloadVerifier::PrefetchProof(uint64_t position, std::function<void()> before,
                                     std::function<void(bool)> after) {
  if (!prefetch_ || !enabled_ || !http_ || IsTiled(log_) || position == 0 || position >= head_.size)
    return;
  std::lock_guard<std::mutex> l(prefetch_->mu);
  if (prefetch_->proof.valid() || prefetch_->position != 0) return;  // one per verifier
  prefetch_->position = position;
  ProofFetch once = fetch_;
  once.attempts = 1;  // a failed prefetch is fetched again, with retries, by Prove
  once.stop = fetch_.no_retry;  // a signal abandons it (Prove still gets its first try)
  prefetch_->proof = std::async(std::launch::async, [http = http_, url = log_.url, size = head_.size,
                                                     fetch = once, position, before = std::move(before),
                                                     after = std::move(after)] {
    if (before) before();
    Result<std::vector<Hash256>> proof = FetchConsistencyProof(*http, url, position, size, fetch);
    if (after) after(proof.ok());
    return proof;
  });
}

std::optional<std::vector<Hash256>> DownloadVerifier::TakePrefetched(uint64_t position) {
  if (!prefetch_) return std::nullopt;
  std::lock_guard<std::mutex> l(prefetch_->mu);
  if (prefetch_->position != position || !prefetch_->proof.valid()) return std::nullopt;
  Result<std::vector<Hash256>> proof = prefetch_->proof.get();
  if (!proof.ok()) {
    LOG_DEBUG("{}: prefetched consistency proof for {}: {}; fetching it again", log_.url, position,
              proof.status().message());
    return std::nullopt;
  }
  return std::move(proof).value();
}

}  // namespace ctdl
