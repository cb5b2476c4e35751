// HttpClient: the one seam between ctdl and the network. Production uses CurlHttpClient; unit tests use
// fakes. Fetch() is synchronous and thread-safe. FetchAsync() starts a request and reports it through a
// callback, so a pipeline can keep many requests in flight without a thread per request.
// A transport failure (DNS, connect, TLS, timeout, truncated or oversized body) comes back as status 0
// with `error` set (naming the host) and `transport` saying which kind, never as a crash or exception.
// What to do next is decided by net/retry.h. Engine and TLS options: doc/network.md.
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

// Which redirects a request follows. AWS-signed requests never follow one, whatever this says.
enum class Redirects {
  kNone,        // a 3xx is the response
  kSameOrigin,  // follow (up to 5) to the same scheme, host and port; else warn and return the 3xx
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
  Redirects redirects = Redirects::kSameOrigin;  // GET and HEAD only; never with `aws`
  size_t max_body_bytes = 0;  // reply body cap for this request; 0: CurlOptions::max_body_bytes
  // Polled by the engine about every 250 ms while the request waits or runs (on its loop thread:
  // quick, thread-safe); true aborts it with TransportError::kCancelled.
  std::function<bool()> cancelled;
};

// What kind of transport failure a status-0 response is (net/retry.h decides what follows).
enum class TransportError {
  kNone,
  kResolve,      // the host name does not resolve (permanent)
  kCertificate,  // TLS certificate not trusted / not matching (permanent)
  kBadUrl,       // malformed, or a scheme other than http/https (permanent)
  kNoSuchFile,   // file:// only: a file a complete folder must have is missing (permanent)
  kConnect,      // refused, unreachable, TLS handshake failed
  kTimeout,
  kTooLarge,     // the body exceeded CurlOptions::max_body_bytes (aborted while receiving)
  kCancelled,    // HttpRequest::cancelled said so, or the client shut down
  kOther,        // truncated body, connection reset, protocol errors
};

struct HttpResponse {
  int status = 0;      // 0: transport failure, see error
  std::string error;   // transport error text naming the host (no secrets)
  TransportError transport = TransportError::kNone;
  Headers headers;     // lowercase names
  std::string body;
  double seconds = 0;  // wall time of the request
  // First header value with this lowercase name, or nullptr.
  const std::string* Header(std::string_view lowercase_name) const;
};

using FetchDone = std::function<void(HttpResponse)>;

struct HttpStats {
  uint64_t requests = 0;     // transfers completed (not aborted)
  uint64_t connections = 0;  // new TCP (+TLS) connections opened
  int64_t open_connections = 0;  // sockets open now: connections in use, kept for reuse or connecting
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse Fetch(const HttpRequest& request) = 0;
  // Starts `request`; `done` is called exactly once with its response. The base version (fakes) runs
  // Fetch and `done` on the caller's thread before returning; an event-loop client returns at once and
  // calls `done` on its loop thread, where it must be quick and must not block or call Fetch.
  // Callers handle both: never hold a lock across FetchAsync that `done` also takes.
  virtual void FetchAsync(HttpRequest request, FetchDone done) { done(Fetch(request)); }

  // What the client did since it was made (an event-loop client counts; fakes report zeros).
  virtual HttpStats Stats() const { return {}; }
};

struct CurlOptions {
  std::string user_agent;    // empty: DefaultUserAgent()
  std::string proxy;         // empty: curl's standard variables (http_proxy, https_proxy, no_proxy)
  bool verbose = false;
  // Numeric IPv4/IPv6 address every outgoing connection is bound to (--source-address); empty: the
  // kernel picks. Several workers on one host use several addresses (per-IP rate limits).
  std::string source_address;
  std::string ca_bundle;     // PEM file of trusted CAs; empty: $CURL_CA_BUNDLE, $SSL_CERT_FILE, system
  // Requests in flight per scheme+host+port (HTTP/1.1 connections, HTTP/2 streams); more wait in the
  // engine's queue (their timeout starts when they leave it).
  int max_per_host = 64;
  size_t max_body_bytes = size_t{64} << 20;  // a larger reply body is aborted: TransportError::kTooLarge
  // libcurl's receive buffer per transfer (CURLOPT_BUFFERSIZE; libcurl's default is 16 KiB): the most
  // one recv() takes (libcurl 7.88 still hands the body on in writes of at most 16 KiB). 256 KiB: a
  // 2.5 MB get-entries reply in ~10 recv calls and engine loop rounds instead of ~160
  // (doc/network.md); below the download's mmap threshold (512 KiB), so each transfer's buffer comes
  // from the heap, not fresh pages. 64 in flight: 16 MiB.
  size_t receive_buffer_bytes = size_t{256} << 10;
};

std::string DefaultUserAgent();
// The CA bundle a client with these options uses: options.ca_bundle, else $CURL_CA_BUNDLE, else
// $SSL_CERT_FILE, else "" (libcurl's built-in default).
std::string EffectiveCaBundle(const CurlOptions& options);
// A libcurl client over one CurlEngine (net/curl_engine.h): one event-loop thread, connections kept
// alive and pooled, HTTP/2 multiplexed over TLS, DNS/TLS-session/CA caches shared by all requests.
// Fetch and FetchAsync are thread-safe. Destroying the client aborts requests still in flight.
std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlOptions& options = {});

}  // namespace ctdl
