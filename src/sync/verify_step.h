// Verification steps that need the network: the glue between ct/signature.h, ct/proof.h,
// ct/hash_tiles.h (pure) and a log over HTTP. Used by the download pipeline (sync/log_download.cc)
// and by `init` / `update-tree-size` (cli/tree_size.cc). Policy: doc/verification.md.
//
// Errors: kVerifyFailed (a signature, root or proof did not check out: the message names the log, the
// size(s) and both roots), kCorrupt (a reply that does not parse), kUnavailable (the log could not be
// reached after a few tries), kCancelled (stop flag raised while waiting), kInvalidArgument (the log
// has no usable key in the state). Thread-safe if the HttpClient is.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "ct/hash_tiles.h"
#include "ct/merkle.h"
#include "ct/signature.h"
#include "net/http_client.h"
#include "store/state_store.h"

namespace ctdl {

// The verifier for a registered log, from its `key` (and `log_id` when present).
// kInvalidArgument when the log has no key (registered without a log list) or a bad one.
Result<LogVerifier> VerifierForLog(const LogState& log);

// The origin a tiled log's checkpoint must carry: its submission URL (the monitoring URL when there is
// none) without scheme and trailing '/', e.g. "log.sycamore.ct.letsencrypt.org/2026h1".
std::string CheckpointOrigin(const LogState& log);

// A tree head of either API, reduced to what the proofs need.
struct TreeHead {
  uint64_t size = 0;
  Hash256 root{};
  uint64_t timestamp = 0;  // ms
};

// Parses a tree head as stored/served for this log (get-sth JSON, or checkpoint text for tiled logs)
// without checking its signature.
Result<TreeHead> ParseTreeHead(const LogState& log, std::string_view text);
// Parses it and checks its signature (checkpoints: also the origin). kVerifyFailed names the log and
// the size.
Result<TreeHead> VerifyTreeHead(const LogState& log, const LogVerifier& verifier, std::string_view text);

struct ProofFetch {
  int attempts = 12;  // per request, for retryable failures
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds first_backoff{250};  // jittered, doubled per try, capped at 8 s
  const std::atomic<int>* stop = nullptr;      // > 0: stop waiting, abandon the request (kCancelled)
  // > 0: no more retries (kCancelled), but each request gets its first try: proofs for the segments
  // committed after a graceful-stop signal still succeed when the log answers.
  const std::atomic<int>* no_retry = nullptr;
  Clock* clock = nullptr;  // for the waits; RealClock() when null
};

// GET with retries through net/retrier.h (Classify: 5xx, 429 honouring Retry-After up to 10 s, 400,
// transport errors, and a 2xx whose body `check` refuses, e.g. truncated). kUnavailable otherwise
// (the last error, at once when permanent: DNS, TLS certificate, 4xx).
Result<std::string> FetchWithRetries(HttpClient& http, const std::string& url, const ProofFetch& opts,
                                     const std::function<Status(const std::string&)>& check = {});

// `<url>ct/v1/get-sth-consistency?first=&second=`, parsed.
Result<std::vector<Hash256>> FetchConsistencyProof(HttpClient& http, const std::string& log_url,
                                                   uint64_t first, uint64_t second, const ProofFetch& opts);

// Hash tiles of a tiled log over HTTP (`<url>tile/<L>/<N>[.p/<W>]`); a partial tile that is gone (404)
// is replaced by the full tile. Caches the tiles it fetched (a few per level), so repeated proofs
// against the same head cost little. The returned fetcher refers to `http`; keep it alive.
TileFetcher HttpTileFetcher(HttpClient& http, const std::string& log_url, const ProofFetch& opts);

// Proves that the signed tree (size2, root2) extends (size1, root1): size2 < size1 is a shrinking log,
// equal sizes need equal roots, otherwise a consistency proof from the log (RFC 6962:
// get-sth-consistency; tiled: hash tiles of tree size2). The error names the log, both sizes and roots.
// Tiled logs: `tiles` (optional) is the fetcher to use (e.g. one HttpTileFetcher kept across proofs for
// its cache); the tiles a proof needs are fetched in parallel (one round trip, not one per level).
Status ProveExtends(HttpClient& http, const LogState& log, uint64_t size1, const Hash256& root1,
                    uint64_t size2, const Hash256& root2, const ProofFetch& opts,
                    const TileFetcher* tiles = nullptr);

// Proves that the downloaded prefix [0, range.size()) is a prefix of the signed tree (size, root):
// equal roots at range.size() == size, else a consistency proof. The error says "Merkle root of
// entries [0, p) is X, not consistent with the signed tree head of size N (root Y)".
// proof: for RFC 6962 logs, the get-sth-consistency proof of (range.size(), head.size) fetched
// beforehand (DownloadVerifier::PrefetchProof); it is checked exactly as one fetched here.
Status ProvePrefix(HttpClient& http, const LogState& log, const CompactRange& range, const TreeHead& head,
                   const ProofFetch& opts, const TileFetcher* tiles = nullptr,
                   const std::vector<Hash256>* proof = nullptr);

// Rebuilds the compact range of [0, position) for a position taken over without one (the seed's
// table), proven against the signed head (position < head.size required: kInvalidArgument otherwise).
// RFC 6962: get-sth-consistency?first=k&second=N with k = position, or, when position is a power of
// two, k = position-1 (k = 0 for position <= 2), plus the entries [k, position) re-read with
// get-entries and hashed (they are proven by the next consistency check). Tiled:
// VerifiedCompactRangeFromTiles.
Result<CompactRange> RebuildCompactRange(HttpClient& http, const LogState& log, uint64_t position,
                                         const TreeHead& head, const ProofFetch& opts,
                                         const TileFetcher* tiles = nullptr);

// The download's verification state for one log (doc/verification.md sections 1, 3, 4): set up once
// by Start (before any entry is fetched), then asked by the writer thread, before each segment is Put,
// to prove the position it is about to commit. Not thread-safe: Start on the committer's thread
// before the writer starts, Prove on the writer thread only; PrefetchProof from any thread.
class DownloadVerifier {
 public:
  struct Started {
    TreeHead head;                        // the current signed head (verified unless disabled)
    std::optional<CompactRange> rebuilt;  // set when a taken-over position got its Merkle state
  };
  // state: the log as stored (key, log_id, type, stored head, position, compact_range,
  // unverified_prefix); sth_text: the head just fetched. `enabled` false (--no-verify) or a log
  // without a key in the state: nothing is checked (a warning is logged) and Prove never raises
  // verified_size. Errors: kVerifyFailed (bad signature, head not consistent with the stored one, a
  // rebuilt range that does not prove); other errors pass through (unreachable log).
  Result<Started> Start(HttpClient& http, const LogState& state, std::string_view sth_text, bool enabled,
                        const ProofFetch& fetch);

  bool enabled() const { return enabled_; }
  // What to store as Progress::unverified_prefix.
  uint64_t unverified_prefix() const { return unverified_prefix_; }
  const TreeHead& head() const { return head_; }

  // Proves [0, position) (its compact range serialized in range_text, "" when unknown) against the
  // signed head before it is committed. Returns the verified size to commit: `position` when proven,
  // `verified_so_far` when verification is off or the Merkle state is unknown for a taken-over position
  // (it then stays unverified, as status shows). kVerifyFailed when the proof fails (the message names
  // the log, the size and both roots), or when the Merkle state was lost mid-download (an entry without
  // a leaf hash).
  // A later head seen during the download (before it is stored): its signature, and that it extends
  // the head the download started with. Ok when verification is off. Const: may be called from any
  // thread once Start returned.
  Status CheckLaterHead(std::string_view sth_text) const;

  // `committed`: the position stored now (named in the error: nothing past it is committed).
  Result<uint64_t> Prove(uint64_t position, std::string_view range_text, uint64_t verified_so_far,
                         uint64_t committed);

  // Starts fetching, on a thread of its own, the consistency proof Prove(position) will need, so that
  // it arrives while the last entries are still being downloaded instead of after them (one round
  // trip less at the end of a run). RFC 6962 logs with verification on, 0 < position < head size;
  // otherwise nothing. `before` runs first on that thread and `after` (true: a proof came) last:
  // the caller's pacing (the host's bucket counts the request like any other). Prove(position)
  // checks the prefetched proof exactly as one it fetched itself; a failed prefetch, or one for
  // another position, is not used (Prove fetches as before). One prefetch per verifier; later calls
  // do nothing. The destructor waits for a prefetch in flight (it ends with fetch.stop).
  void PrefetchProof(uint64_t position, std::function<void()> before = {},
                     std::function<void(bool)> after = {});

 private:
  struct Prefetch;
  std::optional<std::vector<Hash256>> TakePrefetched(uint64_t position);

  HttpClient* http_ = nullptr;
  LogState log_;
  TreeHead head_;
  ProofFetch fetch_;
  TileFetcher tiles_;  // tiled logs: one cache of hash tiles for every proof of this download
  bool enabled_ = false;
  bool range_expected_ = false;  // the download started with a Merkle state: it must not be lost
  uint64_t unverified_prefix_ = 0;
  std::shared_ptr<Prefetch> prefetch_;  // shared: the verifier stays movable
};

}  // namespace ctdl
