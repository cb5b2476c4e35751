#include "net/aws_env.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

namespace ctdl {

std::string GetEnv(const EnvOverride& env, const char* name) {
  if (env) {
    auto it = env->find(name);
    return it == env->end() ? std::string() : it->second;
  }
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string CleanEndpoint(std::string e) {
  while (!e.empty() && e.back() == '/') e.pop_back();
  auto scheme = e.find("://");
  size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  auto at = e.find('@', host);
  auto slash = e.find('/', host);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) e.erase(host, at + 1 - host);
  return e;
}

Result<AwsSettings> LoadAwsSettings(const EnvOverride& env, const std::string& service,
                                    const std::string& what) {
  AwsSettings s;
  AwsSigning& sign = s.signing;
  sign.service = service;
  sign.access_key_id = GetEnv(env, "AWS_ACCESS_KEY_ID");
  sign.secret_access_key = GetEnv(env, "AWS_SECRET_ACCESS_KEY");
  sign.session_token = GetEnv(env, "AWS_SESSION_TOKEN");
  if (sign.access_key_id.empty() || sign.secret_access_key.empty())
    return InvalidArgument(what +
                           " needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                           "AWS_SESSION_TOKEN for temporary credentials; any non-empty values for "
                           "local servers)");
  sign.region = GetEnv(env, "AWS_REGION");
  if (sign.region.empty()) sign.region = GetEnv(env, "AWS_DEFAULT_REGION");
  if (sign.region.empty()) sign.region = "us-east-1";
  std::string upper;
  for (char c : service) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  std::string specific = "AWS_ENDPOINT_URL_" + upper;
  std::string e = GetEnv(env, specific.c_str());
  if (e.empty()) e = GetEnv(env, "AWS_ENDPOINT_URL");
  if (!e.empty() && !e.starts_with("http://") && !e.starts_with("https://"))
    return InvalidArgument(fmt::format("{} endpoint \"{}\" ({} / AWS_ENDPOINT_URL) must start with "
                                       "http:// or https://",
                                       what, CleanEndpoint(e), specific));
  s.endpoint = CleanEndpoint(e);
  return s;
}

}  // namespace ctdl
