// Fetching a log's current signed tree head: RFC 6962 `<url>ct/v1/get-sth`, tiled `<url>checkpoint`.
// Used by `init` and `update-tree-size`. FetchTreeHead is the one function to extend with signature
// and consistency checks (ct/signature.h) once they are wired in.
// Errors: kUnavailable (transport failure, timeout, HTTP error after a retry), kCorrupt (the reply does
// not parse; message names the URL). Thread-safe if the HttpClient is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/http_client.h"
#include "store/state_store.h"

namespace ctdl::cli {

struct FetchedTreeHead {
  uint64_t tree_size = 0;
  std::string sth;  // the reply as received: get-sth JSON or checkpoint text
};

struct FetchOptions {
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
  int attempts = 2;  // tries per log for retryable failures (5xx, 429, transport)
};

// The URL the tree head is read from.
std::string TreeHeadUrl(const LogState& log);

Result<FetchedTreeHead> FetchTreeHead(HttpClient& http, const LogState& log,
                                      const FetchOptions& options = {});

// One result per log, in the same order; at most `concurrency` requests at once.
std::vector<Result<FetchedTreeHead>> FetchTreeHeads(HttpClient& http, const std::vector<LogState>& logs,
                                                    int concurrency = 16, const FetchOptions& options = {});

}  // namespace ctdl::cli
