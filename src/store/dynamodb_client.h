// DynamoDbClient: DynamoDB's JSON API (X-Amz-Target: DynamoDB_20120810.<Op>,
// Content-Type: application/x-amz-json-1.0) over the HttpClient seam, signed by libcurl (SigV4,
// service "dynamodb"). Works with AWS, ScyllaDB Alternator, DynamoDB Local and dynalite.
//
// Settings (read once, by Create) from the standard AWS variables: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; AWS_REGION / AWS_DEFAULT_REGION (default us-east-1);
// endpoint AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL, else https://dynamodb.REGION.amazonaws.com.
// Send retries transport errors, 5xx, ProvisionedThroughputExceededException, ThrottlingException,
// RequestLimitExceeded and LimitExceededException with jittered backoff. Secrets never appear in
// messages. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "net/http_client.h"
#include "net/retry.h"

namespace ctdl {

struct DynamoDbOptions {
  int max_attempts = 10;
  Backoff backoff{std::chrono::milliseconds(50), std::chrono::seconds(20)};
  Clock* clock = nullptr;  // nullptr: RealClock()
  // How long init waits for a new table to become ACTIVE.
  Duration table_active_timeout = std::chrono::minutes(5);
  // The AWS_* variables to use instead of the process environment (tests).
  std::optional<std::map<std::string, std::string>> env;
};

// A reply that is final (success or an error retrying cannot fix).
struct DdbReply {
  int status = 0;
  std::string type;     // error type without namespace ("ConditionalCheckFailedException"), "" on 200
  std::string message;  // error message from the server (never contains our secrets)
  std::string body;
  int attempts = 1;     // > 1 when earlier attempts failed (their effect may have landed)
  bool ok() const { return status == 200; }
};

class DynamoDbClient {
 public:
  // kInvalidArgument when credentials are missing or the endpoint is not http(s)://.
  static Result<std::unique_ptr<DynamoDbClient>> Create(HttpClient* http, const DynamoDbOptions& o);

  // One operation ("GetItem", ...) with a JSON body. Returns the final reply (ok or not), or
  // kUnavailable naming the endpoint when every attempt failed retryably.
  // max_attempts 0: options().max_attempts.
  Result<DdbReply> Send(std::string_view op, const std::string& json, std::string_view what,
                        int max_attempts = 0);

  // A paginated Scan or Query: `request` is the JSON body without its closing '}'; each page's Items
  // go to `each` (one item's JSON) until there is no LastEvaluatedKey. Errors: ErrorFor of a failed
  // page, kCorrupt for a reply without Items or a pagination that does not advance, or each's error.
  Status SendPaged(std::string_view op, const std::string& request, std::string_view what,
                   std::string_view table, const std::function<Status(std::string_view)>& each);

  // Turns a failed reply into a Status with a message naming what to fix.
  Status ErrorFor(const DdbReply& reply, std::string_view what, std::string_view table) const;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }
  Clock* clock() const { return clock_; }
  const DynamoDbOptions& options() const { return options_; }

 private:
  DynamoDbClient() = default;
  HttpClient* http_ = nullptr;
  DynamoDbOptions options_;
  Clock* clock_ = nullptr;
  std::string endpoint_;
  std::string region_;
  AwsSigning sign_;
};

// JSON string literal with quotes: "a\"b" (UTF-8 passes through; control bytes are \u00XX).
std::string JsonQuote(std::string_view s);

}  // namespace ctdl
