// CurlHttpClient: HttpClient over one CurlEngine. Fetch = FetchAsync + wait. The redirect policy
// lives here: AWS-signed requests never follow a redirect (the signature and the data would go to
// whoever answered 307); log GETs follow up to 5 to the same scheme+host+port, never elsewhere.
#include <fmt/format.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "base/log.h"
#include "net/curl_engine.h"
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

std::string EffectiveCaBundle(const CurlOptions& options) {
  if (!options.ca_bundle.empty()) return options.ca_bundle;
  for (const char* var : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"})
    if (const char* v = std::getenv(var); v && *v) return v;
  return "";
}

namespace {

constexpr int kMaxRedirects = 5;

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

class CurlHttpClient : public HttpClient {
 public:
  explicit CurlHttpClient(const CurlOptions& o) : options_(o), engine_(o.max_per_host) {
    if (options_.user_agent.empty()) options_.user_agent = DefaultUserAgent();
    options_.ca_bundle = EffectiveCaBundle(o);
  }
  ~CurlHttpClient() override {
    HttpStats s = engine_.Stats();
    LOG_DEBUG("http: {} requests over {} new connections", s.requests, s.connections);
  }

  HttpStats Stats() const override { return engine_.Stats(); }

  HttpResponse Fetch(const HttpRequest& request) override {
    if (engine_.OnLoopThread()) {
      HttpResponse r;
      r.error = request.url + ": Fetch called on the HTTP engine's own thread (a bug in ctdl)";
      r.transport = TransportError::kOther;
      return r;
    }
    struct Wait {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      HttpResponse response;
    };
    auto w = std::make_shared<Wait>();
    FetchAsync(request, [w](HttpResponse r) {
      {
        std::lock_guard<std::mutex> l(w->mu);
        w->response = std::move(r);
        w->done = true;
      }
      w->cv.notify_one();  // unlocked: the woken caller does not block on w->mu (w is shared)
    });
    std::unique_lock<std::mutex> l(w->mu);
    w->cv.wait(l, [&] { return w->done; });
    return std::move(w->response);
  }

  void FetchAsync(HttpRequest request, FetchDone done) override {
    auto req = std::make_shared<const HttpRequest>(std::move(request));
    Start(req, req->url, 0, std::move(done));
  }

 private:
  // One hop of `req` (its URL, or where a redirect pointed).
  void Start(std::shared_ptr<const HttpRequest> req, std::string url, int hops, FetchDone done) {
    const HttpRequest* hop = req.get();
    HttpRequest redirected;
    if (url != req->url) {
      redirected = *req;
      redirected.url = std::move(url);
      hop = &redirected;
    }
    auto t = std::make_unique<CurlTransfer>(
        *hop, options_, engine_.share(),
        [this, req, hops, done = std::move(done), from = hop->url](HttpResponse r,
                                                                   std::string location) mutable {
          if (IsRedirect(r.status) && !location.empty() && Follows(*req)) {
            std::optional<std::string> a = UrlOrigin(from), b = UrlOrigin(location);
            if (a && b && *a == *b && hops < kMaxRedirects) {
              Start(req, std::move(location), hops + 1, std::move(done));
              return;
            }
            LOG_WARN("{}: HTTP {} redirect to {} not followed ({})", from, r.status,
                     b.value_or("an unparseable URL"),
                     hops >= kMaxRedirects ? "too many redirects"
                                           : "only redirects to the same scheme and host are");
          }
          done(std::move(r));
        });
    engine_.Submit(std::move(t));
  }

  static bool Follows(const HttpRequest& r) {
    return r.redirects == Redirects::kSameOrigin && !r.aws && (r.method == "GET" || r.method == "HEAD");
  }

  CurlOptions options_;
  CurlEngine engine_;  // last: destroyed first, while the members its callbacks use still exist
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace ctdl
