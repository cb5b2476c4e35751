// FakeS3: a stateful in-memory S3 behind the HttpClient seam, for unit tests of S3Archive.
// Implements path-style PutObject, multipart (initiate/part/complete/abort), HEAD, GET, DELETE and
// ListObjectsV2 with continuation tokens; checks Content-MD5 and x-amz-content-sha256 like S3.
// `fault` runs first and may answer instead (return a response) to inject errors.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "net/http_client.h"

namespace ctdl {

class FakeS3 : public HttpClient {
 public:
  static constexpr const char* kEndpoint = "http://fake-s3.test:9000";
  explicit FakeS3(std::string bucket) : bucket_(std::move(bucket)) {}
  HttpResponse Fetch(const HttpRequest& req) override;

  std::function<std::optional<HttpResponse>(const HttpRequest&)> fault;
  std::map<std::string, std::string> Objects() {
    std::lock_guard<std::mutex> l(mu_);
    return objects_;
  }
  int requests = 0;
  std::vector<std::string> log;  // "METHOD path?query" of every request
  int open_uploads() {
    std::lock_guard<std::mutex> l(mu_);
    return static_cast<int>(uploads_.size());
  }

 private:
  std::mutex mu_;
  std::string bucket_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, std::map<int, std::string>> uploads_;
  int next_upload_ = 0;
};

}  // namespace ctdl
