// HttpClient: the one seam between ctdl and the network. Production uses CurlHttpClient; unit tests use
// fakes. Fetch() is synchronous and thread-safe. FetchAsync() starts a request and reports it through a
// callback, so a pipeline can keep many requests in flight without a thread per request.
// A transport failure (DNS, connect, timeout, truncated body) comes back as status 0 with `error` set,
// never as a crash or exception. What to do next is decided by net/retry.h.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace ctdl {

using Headers = std::vector<std::pair<std::string, std::string>>;

// AWS SigV4 signing, done by libcurl (CURLOPT_AWS_SIGV4). Secrets stay in memory, never logged.
struct AwsSigning {
  std::string provider = "aws:amz";  // curl's "provider1[:provider2[:region[:service]]]"
  std::string region;
  std::string service;  // "s3", "dynamodb"
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds connect_timeout{10000};
  bool accept_gzip = false;  // send Accept-Encoding: gzip, identity and decode transparently
  std::optional<AwsSigning> aws;
};

struct HttpResponse {
  int status = 0;      // 0: transport failure, see error
  std::string error;   // transport error text (no secrets)
  Headers headers;     // lowercase names
  std::string body;
  double seconds = 0;  // wall time of the request
  // First header value with this lowercase name, or nullptr.
  const std::string* Header(std::string_view lowercase_name) const;
};

using FetchDone = std::function<void(HttpResponse)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse Fetch(const HttpRequest& request) = 0;
  // Starts `request`; `done` is called exactly once with its response. The base version (fakes) runs
  // Fetch and `done` on the caller's thread before returning; an event-loop client returns at once and
  // calls `done` on its loop thread, where it must be quick and must not block or call Fetch.
  // Callers handle both: never hold a lock across FetchAsync that `done` also takes.
  virtual void FetchAsync(HttpRequest request, FetchDone done) { done(Fetch(request)); }
};

struct CurlOptions {
  std::string user_agent;    // empty: DefaultUserAgent()
  std::string proxy;         // empty: curl's standard variables (http_proxy, https_proxy, no_proxy)
  bool verbose = false;
  // Numeric IPv4/IPv6 address every outgoing connection is bound to (--source-address); empty: the
  // kernel picks. Several workers on one host use several addresses (per-IP rate limits).
  std::string source_address;
};

std::string DefaultUserAgent();
// A libcurl client with one shared connection/DNS/TLS-session cache, keep-alive and HTTP/2 over TLS.
std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlOptions& options = {});

}  // namespace ctdl
