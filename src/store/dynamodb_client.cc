#include "store/dynamodb_client.h"

#include <fmt/format.h>

#include <simdjson.h>

#include <cstdlib>

#include "base/log.h"
#include "net/aws_env.h"
#include "net/retrier.h"

namespace ctdl {
namespace {

void ParseError(DdbReply* r) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r->body).get(doc) != simdjson::SUCCESS) return;
  std::string_view type, message;
  if (doc["__type"].get(type) == simdjson::SUCCESS) {
    auto hash = type.rfind('#');
    r->type = std::string(hash == std::string_view::npos ? type : type.substr(hash + 1));
  }
  if (doc["message"].get(message) == simdjson::SUCCESS || doc["Message"].get(message) == simdjson::SUCCESS)
    r->message = std::string(message.substr(0, 300));
  if (r->type.size() > 100) r->type.resize(100);
}

bool Retryable(const DdbReply& r) {
  if (r.status == 0 || r.status >= 500 || r.status == 429) return true;
  return r.type == "ProvisionedThroughputExceededException" || r.type == "ThrottlingException" ||
         r.type == "RequestLimitExceeded" || r.type == "LimitExceededException" ||
         r.type == "InternalServerError" || r.type == "TransactionInProgressException";
}

}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) out += fmt::format("\\u{:04x}", u);
        else out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

Result<std::unique_ptr<DynamoDbClient>> DynamoDbClient::Create(HttpClient* http,
                                                               const DynamoDbOptions& o) {
  std::unique_ptr<DynamoDbClient> c(new DynamoDbClient());
  c->http_ = http;
  c->options_ = o;
  c->clock_ = o.clock ? o.clock : RealClock();
  TRY_ASSIGN(AwsSettings settings, LoadAwsSettings(o.env, "dynamodb", "DynamoDB state"));
  c->sign_ = settings.signing;
  c->region_ = c->sign_.region;
  c->endpoint_ = settings.endpoint.empty()
                     ? fmt::format("https://dynamodb.{}.amazonaws.com", c->region_)
                     : settings.endpoint;
  return c;
}

Result<DdbReply> DynamoDbClient::Send(std::string_view op, const std::string& json,
                                      std::string_view what, int max_attempts) {
  if (max_attempts <= 0) max_attempts = options_.max_attempts;
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_ + "/";
  req.body = json;
  req.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", fmt::format("DynamoDB_20120810.{}", op)}};
  req.aws = sign_;
  req.timeout = std::chrono::seconds(30);
  req.redirects = Redirects::kNone;
  // DynamoDB's own classifier: the error type in the JSON body decides (throttling is a retry).
  auto classify = [](const HttpResponse& h, WallTime now) -> Verdict {
    Verdict v = Classify(h, now);
    if (h.status == 0 && IsPermanent(h.transport)) return v;  // kFatal
    DdbReply r;
    r.status = h.status;
    if (h.status != 200) {
      r.body = h.body;
      ParseError(&r);
    }
    if (Retryable(r))
      return {v.disposition == Disposition::kThrottled ? v.disposition : Disposition::kRetry,
              v.retry_after};
    return {Disposition::kSuccess, std::nullopt};  // final: ErrorFor reads the reply
  };
  Retrier retrier(*http_, *clock_, RetryPolicy{max_attempts, options_.backoff});
  Retrier::Hooks hooks;
  hooks.on_retry = [&](const Retrier::Outcome& o, Duration) {
    LOG_DEBUG("DynamoDB {}: {}; retry {}", what, o.why, o.attempts);
  };
  Retrier::Outcome out = retrier.Run(std::move(req), classify, {}, hooks);
  HttpResponse& h = out.response;
  DdbReply r;
  r.status = h.status;
  r.body = std::move(h.body);
  r.attempts = out.attempts;
  if (h.status != 200) ParseError(&r);
  if (out.verdict.disposition == Disposition::kSuccess) return r;
  if (h.status == 0)
    return Unavailable(fmt::format(
        "{}: cannot reach DynamoDB endpoint {}{} ({}); check AWS_ENDPOINT_URL_DYNAMODB / "
        "AWS_ENDPOINT_URL, the network, and that the server is running",
        what, endpoint_, out.exhausted() ? fmt::format(" after {} attempts", out.attempts) : "",
        h.error));
  return Unavailable(fmt::format("{}: DynamoDB still failing after {} attempts (last: HTTP {} {} {})",
                                 what, out.attempts, h.status, r.type, r.message));
}

Status DynamoDbClient::SendPaged(std::string_view op, const std::string& request, std::string_view what,
                                 std::string_view table,
                                 const std::function<Status(std::string_view)>& each) {
  std::string start;
  for (int page = 0;; page++) {
    std::string req = request;
    if (!start.empty()) req += ",\"ExclusiveStartKey\":" + start;
    req += "}";
    TRY_ASSIGN(DdbReply r, Send(op, req, what));
    if (!r.ok()) return ErrorFor(r, what, table);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array items;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS || doc["Items"].get(items) != simdjson::SUCCESS)
      return Corrupt(fmt::format("{}: {} reply has no Items", what, op));
    for (simdjson::dom::element item : items) TRY(each(simdjson::to_string(item)));
    simdjson::dom::element last;
    if (doc["LastEvaluatedKey"].get(last) != simdjson::SUCCESS) return Status::Ok();
    std::string next = simdjson::to_string(last);
    if (next == start || page > 100000)
      return Corrupt(fmt::format("{}: {} pagination does not advance", what, op));
    start = std::move(next);
  }
}

Status DynamoDbClient::ErrorFor(const DdbReply& r, std::string_view what,
                                std::string_view table) const {
  std::string sum = fmt::format("HTTP {}{}{}{}", r.status, r.type.empty() ? "" : " ", r.type,
                                r.message.empty() ? "" : ": " + r.message);
  const std::string& t = r.type;
  if (t == "UnrecognizedClientException" || t == "InvalidSignatureException" ||
      t == "MissingAuthenticationTokenException" || t == "IncompleteSignatureException" ||
      t == "AccessDeniedException" || t == "ExpiredTokenException" || r.status == 403)
    return InvalidArgument(fmt::format(
        "{}: DynamoDB refused access ({}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and "
        "AWS_SESSION_TOKEN), AWS_REGION, and the IAM permissions on table {}",
        what, sum, table));
  if (t == "ResourceNotFoundException")
    return NotFound(fmt::format(
        "DynamoDB table \"{}\" does not exist at {} (region {}): run `ctdl --state dynamodb:{} init` "
        "to create it, or check AWS_REGION / AWS_ENDPOINT_URL_DYNAMODB",
        table, endpoint_, region_, table));
  if (t == "ConditionalCheckFailedException")
    return Conflict(fmt::format("{}: condition failed ({})", what, sum));
  if (t == "ValidationException" || t == "SerializationException")
    return InvalidArgument(fmt::format("{}: DynamoDB rejected the request ({})", what, sum));
  return Unavailable(fmt::format("{}: DynamoDB error ({})", what, sum));
}

}  // namespace ctdl
