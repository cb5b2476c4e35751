// CurlTransfer: one HTTP request as a libcurl easy handle, with everything libcurl reads or writes
// while it runs (URL, header list, request body, signing strings, the response being received).
// Built on any thread, run by CurlEngine on its loop thread, completed exactly once: by Complete()
// when libcurl is done with it, or by Abort() when it never ran or was taken out (cancel, shutdown).
// The reply body is capped (CurlOptions::max_body_bytes): a larger one is aborted while it arrives,
// also when its Content-Length says so up front or a chunked body never ends.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "net/http_client.h"

namespace ctdl {

// scheme://host:port of a URL (port made explicit), the unit of connection reuse and of per-host
// limits; nullopt when the URL does not parse.
std::optional<std::string> UrlOrigin(const std::string& url);

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

class CurlTransfer {
 public:
  // `redirect_url`: where a 3xx pointed (absolute, "" when none), for the client's redirect policy.
  using Done = std::function<void(HttpResponse response, std::string redirect_url)>;

  // `share` (DNS and TLS-session caches) must outlive the transfer.
  CurlTransfer(const HttpRequest& request, const CurlOptions& options, CURLSH* share, Done done);
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  CURL* easy() const { return easy_.get(); }
  const std::string& origin() const { return origin_; }  // "" when the URL does not parse
  bool cancellable() const { return static_cast<bool>(cancelled_); }
  bool Cancelled() const { return cancelled_ && cancelled_(); }
  // libcurl finished the transfer with `rc`: builds the response (status, or a transport error that
  // names the host and its kind) and calls done.
  void Complete(CURLcode rc);
  // The transfer did not run to its end: status 0, `kind`, error "<host>: <why>"; calls done.
  void Abort(TransportError kind, const std::string& why);

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* self);
  static size_t OnHeader(char* data, size_t size, size_t n, void* self);
  void Setup(const HttpRequest& request, const CurlOptions& options, CURLSH* share);
  std::string Host() const;
  void Finish();

  std::unique_ptr<CURL, CurlEasyDeleter> easy_;
  std::unique_ptr<curl_slist, CurlSlistDeleter> headers_;
  std::string url_, method_, body_out_, sigv4_, userpwd_, interface_;
  std::string origin_;
  std::function<bool()> cancelled_;
  size_t max_body_ = 0;
  bool sized_ = false;     // the body buffer was reserved from Content-Length
  bool pooled_ = false;    // the body lives in a buffer of BufferPool::Replies()
  bool too_large_ = false;
  char errbuf_[CURL_ERROR_SIZE] = {0};
  HttpResponse response_;
  Done done_;
};

}  // namespace ctdl
