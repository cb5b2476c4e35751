// Fetching a log's current signed tree head: RFC 6962 `<url>ct/v1/get-sth`, tiled `<url>checkpoint`.
// Used by `init` and `update-tree-size`. FetchTreeHead only fetches and parses; FetchVerifiedTreeHead
// also checks the signature with the log's key and, optionally, that the head extends the stored one
// (doc/verification.md sections 1 and 2).
// Errors: kUnavailable (transport failure, timeout, HTTP error after a retry), kCorrupt (the reply does
// not parse; message names the URL), kVerifyFailed (bad signature, shrinking or forked log; the
// message names the log, the sizes and the roots), kInvalidArgument (no usable key in the state).
// Thread-safe if the HttpClient is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "net/http_client.h"
#include "store/state_store.h"

namespace ctdl::cli {

struct FetchedTreeHead {
  uint64_t tree_size = 0;
  std::string sth;        // the reply as received: get-sth JSON or checkpoint text
  bool verified = false;  // signature checked (FetchVerifiedTreeHead only)
  // Smaller than the stored head but proven to be a prefix of it (a lagging frontend): not stored.
  bool lagging = false;
};

struct FetchOptions {
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
  int attempts = 2;  // tries per log for retryable failures (5xx, 429, transport)
  // FetchVerifiedTreeHead(s): prove that the new head extends the log's stored head (`sth`), with a
  // consistency proof from the log (get-sth-consistency or hash tiles).
  bool prove_consistency = false;
  Clock* clock = nullptr;        // for the waits between tries; RealClock() when null
  std::function<bool()> stop{};  // true: give up (kCancelled) within a second, request included
};

// The URL the tree head is read from.
std::string TreeHeadUrl(const LogState& log);

Result<FetchedTreeHead> FetchTreeHead(HttpClient& http, const LogState& log,
                                      const FetchOptions& options = {});

// FetchTreeHead, then the signature check with the log's key (`key`, `log_id`; checkpoints: origin =
// submission URL without scheme), then, with options.prove_consistency and a stored head, the proof
// that the new head extends it, or, when it is smaller, that it is a prefix of it (`lagging`); another
// root at the same size, or a smaller head that is no prefix, is kVerifyFailed.
Result<FetchedTreeHead> FetchVerifiedTreeHead(HttpClient& http, const LogState& log,
                                              const FetchOptions& options = {});

// One result per log, in the same order; at most `concurrency` requests at once. `verify` picks
// FetchVerifiedTreeHead over FetchTreeHead.
std::vector<Result<FetchedTreeHead>> FetchTreeHeads(HttpClient& http, const std::vector<LogState>& logs,
                                                    int concurrency = 16, const FetchOptions& options = {},
                                                    bool verify = false);

}  // namespace ctdl::cli
