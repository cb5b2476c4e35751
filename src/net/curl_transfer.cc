#include "net/curl_transfer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "base/buffer_pool.h"

namespace ctdl {

std::optional<std::string> UrlOrigin(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return std::nullopt;
  std::optional<std::string> out;
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    std::string h = host;
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out = fmt::format("{}://{}:{}", scheme, h, port);
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

namespace {

// Reply bodies from this size on live in BufferPool::Replies() buffers (OnBody).
constexpr size_t kPooledBodyFrom = 256 * 1024;
constexpr size_t kBodySlack = 64;

// -vv tracing: curl's text and headers to stderr, with credentials redacted (never print secrets).
int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void*) {
  if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT) return 0;
  std::string_view text(data, size);
  const char* prefix = type == CURLINFO_TEXT ? "* " : type == CURLINFO_HEADER_IN ? "< " : "> ";
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    std::string lower(line.substr(0, line.find(':')));
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool secret = lower == "authorization" || lower == "x-amz-security-token" ||
                  lower == "proxy-authorization";
    if (secret) line = line.substr(0, line.find(':') + 1);
    std::fprintf(stderr, "%s%.*s%s\n", prefix, static_cast<int>(line.size()), line.data(),
                 secret ? " [redacted]" : "");
  }
  return 0;
}

TransportError KindOf(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::kResolve;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
      return TransportError::kCertificate;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return TransportError::kBadUrl;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      return TransportError::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_ABORTED_BY_CALLBACK:
      return TransportError::kCancelled;
    default:
      return TransportError::kOther;
  }
}

std::string MiB(size_t bytes) {
  return bytes % (1 << 20) == 0 ? fmt::format("{} MiB", bytes >> 20) : fmt::format("{} bytes", bytes);
}

}  // namespace

CurlTransfer::CurlTransfer(const HttpRequest& request, const CurlOptions& options, CURLSH* share,
                           Done done)
    : easy_(curl_easy_init()),
      url_(request.url),
      method_(request.method),
      origin_(UrlOrigin(request.url).value_or("")),
      cancelled_(request.cancelled),
      max_body_(request.max_body_bytes ? request.max_body_bytes : options.max_body_bytes),
      done_(std::move(done)) {
  if (easy_) Setup(request, options, share);
}

void CurlTransfer::Setup(const HttpRequest& req, const CurlOptions& options, CURLSH* share) {
  CURL* c = easy_.get();
  for (const auto& [k, v] : req.headers) {
    std::string line = k + ": " + v;
    headers_.reset(curl_slist_append(headers_.release(), line.c_str()));
  }
  if ((req.method == "POST" || req.method == "PUT") && !req.aws) {
    // Avoid "Expect: 100-continue" round trips on uploads. Not with SigV4: curl 7.88 signs the
    // empty "Expect:" header it then does not send, and AWS rejects the signature.
    headers_.reset(curl_slist_append(headers_.release(), "Expect:"));
  }
  curl_easy_setopt(c, CURLOPT_PRIVATE, this);
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_SHARE, share);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  // Wait for a connection being set up to say whether it multiplexes (HTTP/2) instead of opening
  // one more: 64 requests started together share one TLS handshake.
  curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // redirects: the client's policy
  curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  if (req.accept_gzip) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip, identity");
  if (!options.proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, options.proxy.c_str());
  if (!options.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_bundle.c_str());
  if (!options.source_address.empty()) {
    // "host!" makes curl bind to the address itself, never to an interface of that name.
    interface_ = "host!" + options.source_address;
    curl_easy_setopt(c, CURLOPT_INTERFACE, interface_.c_str());
  }
  if (options.verbose) {
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &OnDebug);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  }
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    body_out_ = req.body;
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body_out_.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_out_.size()));
  }
  if (req.aws) {
    sigv4_ = req.aws->provider;
    if (!req.aws->region.empty()) sigv4_ += ":" + req.aws->region + ":" + req.aws->service;
    userpwd_ = req.aws->access_key_id + ":" + req.aws->secret_access_key;
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd_.c_str());
    if (!req.aws->session_token.empty()) {
      std::string t = "x-amz-security-token: " + req.aws->session_token;
      headers_.reset(curl_slist_append(headers_.release(), t.c_str()));
    }
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &CurlTransfer::OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &CurlTransfer::OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf_);
  // Plain http:// only: TLS reads come in records of at most 16 KiB anyway, and over TLS + HTTP/2
  // the larger buffer made the latency-bound bench slower (bench/analysis.md, "receive buffer").
  if (options.receive_buffer_bytes && url_.starts_with("http://"))  // libcurl clamps: 1 KiB .. 10 MiB
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, static_cast<long>(options.receive_buffer_bytes));
}

// The body grows by appends; sizing it once from Content-Length avoids the string's repeated
// doubling (each a fresh allocation, page faults and a copy of all bytes so far: a quarter of the CPU
// of a fast download). The length is only a hint (gzip, lies): capped, and append still grows.
// Bodies of kPooledBodyFrom bytes or more are put in a reused buffer (BufferPool::Replies(); the
// decoders hand them back), so a big reply does not fault in fresh pages either; small replies (tree
// heads, S3/DynamoDB answers) keep plain strings, so a long-lived small body never pins a big buffer.
// A body (decoded, when gzip) past max_body_ stops the transfer: returning short makes curl fail.
size_t CurlTransfer::OnBody(char* data, size_t size, size_t n, void* self) {
  auto* t = static_cast<CurlTransfer*>(self);
  size_t len = size * n;
  std::string& body = t->response_.body;
  size_t hint = 0;
  if (!t->sized_) {
    t->sized_ = true;
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->easy_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0) {
      if (static_cast<uint64_t>(length) > t->max_body_) {
        t->too_large_ = true;
        return 0;
      }
      hint = static_cast<size_t>(length);
      if (hint < kPooledBodyFrom) body.reserve(hint);
    }
  }
  if (len > t->max_body_ - std::min(t->max_body_, body.size())) {
    t->too_large_ = true;
    return 0;
  }
  size_t need = body.size() + len;
  if (!t->pooled_ && std::max(hint, need) >= kPooledBodyFrom && need > body.capacity()) {
    t->pooled_ = true;
    // + kBodySlack spare bytes: decoders may read a little past the end (simdjson in place).
    std::string pooled = BufferPool::Replies().Get(std::max(hint, need) + kBodySlack);
    pooled.append(body);
    body.swap(pooled);
  }
  body.append(data, len);
  return len;
}

size_t CurlTransfer::OnHeader(char* data, size_t size, size_t n, void* self) {
  Headers& headers = static_cast<CurlTransfer*>(self)->response_.headers;
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) headers.clear();  // a new response (100-continue)
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (headers.size() < 1000) headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

std::string CurlTransfer::Host() const {
  // origin_ is scheme://host:port; the host is what users recognise.
  if (origin_.empty()) return url_;
  std::string_view o = origin_;
  o.remove_prefix(o.find("://") + 3);
  return std::string(o.substr(0, o.rfind(':')));
}

void CurlTransfer::Complete(CURLcode rc) {
  double secs = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_TOTAL_TIME, &secs);
  response_.seconds = secs;
  if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &code);
    response_.status = static_cast<int>(code);
    std::string location;
    if (code >= 300 && code < 400) {
      char* where = nullptr;
      if (curl_easy_getinfo(easy_.get(), CURLINFO_REDIRECT_URL, &where) == CURLE_OK && where)
        location = where;
    }
    Finish();
    done_(std::move(response_), std::move(location));
    return;
  }
  std::string host = Host();
  if (too_large_) {
    Abort(TransportError::kTooLarge, fmt::format("reply larger than {} (aborted)", MiB(max_body_)));
    return;
  }
  TransportError kind = KindOf(rc);
  std::string detail = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);
  if (kind == TransportError::kResolve) {
    detail = "cannot resolve the host name (" + detail + ")";
  } else if (kind == TransportError::kCertificate) {
    detail = "TLS certificate not accepted (" + detail +
             "); if the server uses a private CA, pass --ca-bundle FILE";
  }
  Abort(kind, detail);
}

void CurlTransfer::Abort(TransportError kind, const std::string& why) {
  response_.status = 0;
  response_.transport = kind;
  response_.error = Host() + ": " + why;
  std::string().swap(response_.body);  // a partial (maybe huge) body is not kept
  Finish();
  done_(std::move(response_), "");
}

void CurlTransfer::Finish() {
  // Credentials do not stay in memory longer than the request.
  std::fill(userpwd_.begin(), userpwd_.end(), '\0');
  headers_.reset();
}

}  // namespace ctdl
