// S3Archive: the archive in an S3 bucket ("s3://BUCKET[/PREFIX]"), for AWS and S3-compatible servers
// (MinIO, s3rver, Ceph...). All requests go through the HttpClient seam, signed by libcurl (SigV4).
//
// Settings come from the standard AWS variables (read once, by OpenS3Archive):
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional)
//   AWS_REGION or AWS_DEFAULT_REGION (default us-east-1)
//   AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: a custom endpoint, addressed path-style
//     (http://127.0.0.1:9000/BUCKET/KEY); without one, AWS virtual-hosted style
//     (https://BUCKET.s3.REGION.amazonaws.com/KEY; path style on s3.REGION.amazonaws.com when the
//     bucket name contains '.').
//
// Put: objects below multipart_threshold go in one PUT with Content-MD5 and x-amz-content-sha256;
// larger ones as a multipart upload (each part with its own Content-MD5, parts retried one by one;
// aborted on failure). After either, HEAD must report the full size before Put returns ok.
// List: ListObjectsV2, following continuation tokens. Delete: DeleteObject (missing is ok).
// Retries: transport errors, 5xx, 429/503 SlowDown, 400 RequestTimeout, with jittered backoff, up to
// max_attempts per request. Other errors stop at once with a message naming what to fix:
//   endpoint unreachable -> kUnavailable; 403 (bad keys, signature, clock skew) -> kInvalidArgument;
//   404 NoSuchBucket -> kNotFound; Get of a missing key -> kNotFound.
// Secrets never appear in messages or logs.
// Thread safety: safe to call from several threads (state is immutable after open).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "net/http_client.h"
#include "net/retry.h"
#include "sink/archive.h"

namespace ctdl {

struct S3Options {
  // Objects this large or larger use multipart; parts of part_size (AWS requires >= 5 MiB for all but
  // the last part). The variables CTDL_S3_MULTIPART_THRESHOLD and CTDL_S3_PART_SIZE (bytes) override
  // both (integration tests use them to exercise multipart with small segments).
  size_t multipart_threshold = size_t{64} << 20;
  size_t part_size = size_t{16} << 20;
  int max_attempts = 8;                           // per HTTP request
  Backoff backoff;
  Clock* clock = nullptr;                         // nullptr: RealClock()
  int list_page_size = 1000;                      // max-keys of ListObjectsV2
  // Open checks the bucket (one ListObjectsV2 with max-keys=1, at most 3 attempts) so that a wrong
  // endpoint, key or bucket is reported before any work starts.
  bool check_on_open = true;
  // The AWS_* variables to use instead of the process environment (tests).
  std::optional<std::map<std::string, std::string>> env;
};

// uri: "s3://BUCKET" or "s3://BUCKET/PREFIX" (PREFIX without leading '/'; a trailing '/' is implied).
// http must outlive the archive. Errors: kInvalidArgument (bad URI, missing credentials, 403),
// kNotFound (no such bucket), kUnavailable (endpoint unreachable after retries).
Result<std::unique_ptr<Archive>> OpenS3Archive(std::string uri, HttpClient* http);
Result<std::unique_ptr<Archive>> OpenS3Archive(std::string uri, HttpClient* http,
                                               const S3Options& options);

// Parsed "s3://BUCKET[/PREFIX]"; exposed for tests and for the CLI's messages.
struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or ends with '/'
};
Result<S3Location> ParseS3Uri(std::string_view uri);

}  // namespace ctdl
