// AWS settings from the standard variables, shared by the S3 archive and the DynamoDB state store:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION
// (default us-east-1), AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL. Secrets never appear in errors.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/status.h"
#include "net/http_client.h"

namespace ctdl {

using EnvOverride = std::optional<std::map<std::string, std::string>>;

// The variable from `env` when given (tests), else from the process environment; "" when unset.
std::string GetEnv(const EnvOverride& env, const char* name);

struct AwsSettings {
  AwsSigning signing;    // service, region and credentials
  std::string endpoint;  // cleaned custom endpoint ("" when none is set: use AWS's own)
};

// service: "s3" | "dynamodb"; what: "S3 archive" | "DynamoDB state" (for messages).
// kInvalidArgument names the variable to set when credentials are missing or an endpoint is malformed.
Result<AwsSettings> LoadAwsSettings(const EnvOverride& env, const std::string& service,
                                    const std::string& what);

// "https://user:pw@host:9000/" -> "https://host:9000" (no secrets in messages, no trailing '/').
std::string CleanEndpoint(std::string endpoint);

}  // namespace ctdl
