#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>

#include "net/http_client.h"

namespace ctdl {

const std::string* HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

std::string DefaultUserAgent() {
  return "ctdl/0.1 (+https://github.com/ctdl/ctdl; CT log mirror)";
}

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

class Share {
 public:
  Share() {
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  }
  ~Share() { curl_share_cleanup(share_); }
  CURLSH* get() { return share_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* p) {
    static_cast<Share*>(p)->mu_[data % kLocks].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* p) {
    static_cast<Share*>(p)->mu_[data % kLocks].unlock();
  }
  static constexpr int kLocks = CURL_LOCK_DATA_LAST;
  std::mutex mu_[kLocks];
  CURLSH* share_;
};

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// The body grows by appends; sizing it once from Content-Length avoids the string's repeated
// doubling (each a fresh allocation, page faults and a copy of all bytes so far: a quarter of the CPU
// of a fast download). The length is only a hint (gzip, lies): capped, and append still grows.
struct BodySink {
  std::string* body;
  CURL* easy;
  bool sized = false;
};
constexpr curl_off_t kMaxBodyReserve = curl_off_t{64} << 20;

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (!sink->sized) {
    sink->sized = true;
    curl_off_t length = -1;
    if (curl_easy_getinfo(sink->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0)
      sink->body->reserve(static_cast<size_t>(std::min(length, kMaxBodyReserve)));
  }
  sink->body->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) headers->clear();  // a new response (redirect, 100-continue)
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    headers->emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

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

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(const CurlOptions& o) : options_(o) {
    static CurlGlobal global;
    if (options_.user_agent.empty()) options_.user_agent = DefaultUserAgent();
    // "host!" makes curl bind to the address itself, never to an interface of that name.
    if (!options_.source_address.empty()) interface_ = "host!" + options_.source_address;
  }

  HttpResponse Fetch(const HttpRequest& req) override {
    std::unique_ptr<CURL, EasyDeleter> easy = Acquire();
    CURL* c = easy.get();
    HttpResponse resp;
    std::unique_ptr<curl_slist, SlistDeleter> hdrs;
    for (const auto& [k, v] : req.headers) {
      std::string line = k + ": " + v;
      hdrs.reset(curl_slist_append(hdrs.release(), line.c_str()));
    }
    if ((req.method == "POST" || req.method == "PUT") && !req.aws) {
      // Avoid "Expect: 100-continue" round trips on uploads. Not with SigV4: curl 7.88 signs the
      // empty "Expect:" header it then does not send, and AWS rejects the signature.
      hdrs.reset(curl_slist_append(hdrs.release(), "Expect:"));
    }
    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_SHARE, share_.get());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    if (req.accept_gzip) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip, identity");
    if (!options_.proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, options_.proxy.c_str());
    if (!interface_.empty()) curl_easy_setopt(c, CURLOPT_INTERFACE, interface_.c_str());
    if (options_.verbose) {
      curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &OnDebug);
      curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    }
    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
    std::string sigv4, userpwd;
    if (req.aws) {
      sigv4 = req.aws->provider;
      if (!req.aws->region.empty()) sigv4 += ":" + req.aws->region + ":" + req.aws->service;
      userpwd = req.aws->access_key_id + ":" + req.aws->secret_access_key;
      curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
      curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
      if (!req.aws->session_token.empty()) {
        std::string t = "x-amz-security-token: " + req.aws->session_token;
        hdrs.reset(curl_slist_append(hdrs.release(), t.c_str()));
      }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
    BodySink sink{&resp.body, c};
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = curl_easy_perform(c);
    double secs = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &secs);
    resp.seconds = secs;
    if (rc != CURLE_OK) {
      resp.status = 0;
      resp.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      resp.body.clear();
    } else {
      long code = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
      resp.status = static_cast<int>(code);
    }
    // Do not keep credentials on the reused handle.
    curl_easy_reset(c);
    Release(std::move(easy));
    return resp;
  }

 private:
  // Easy handles are pooled per client (they must not outlive share_).
  std::unique_ptr<CURL, EasyDeleter> Acquire() {
    std::lock_guard<std::mutex> l(mu_);
    if (pool_.empty()) return std::unique_ptr<CURL, EasyDeleter>(curl_easy_init());
    auto e = std::move(pool_.back());
    pool_.pop_back();
    return e;
  }
  void Release(std::unique_ptr<CURL, EasyDeleter> e) {
    std::lock_guard<std::mutex> l(mu_);
    pool_.push_back(std::move(e));
  }

  CurlOptions options_;
  std::string interface_;  // CURLOPT_INTERFACE value, "" for none
  Share share_;  // declared before pool_: handles are destroyed first
  std::mutex mu_;
  std::vector<std::unique_ptr<CURL, EasyDeleter>> pool_;
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace ctdl
