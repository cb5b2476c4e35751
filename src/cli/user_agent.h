// The User-Agent ctdl sends: --user-agent (default DefaultUserAgent()) plus --contact. Rate-limited
// logs (Sunlight-style read paths, some operators' front ends) give identified clients a higher limit
// or write to them before blocking: --contact puts a URL or email address into the User-Agent.
// Pure functions.
#pragma once

#include <string>

#include "base/status.h"

namespace ctdl::cli {

// kInvalidArgument when `contact` has control characters or is longer than 256 bytes (it becomes
// part of an HTTP header). The message does not name the flag (CLI11 prefixes it).
Status CheckContact(const std::string& contact);

// user_agent ("" = DefaultUserAgent()) with "contact: C" added unless it already contains C:
// inside its last parenthesis ("ctdl/0.1 (+url; CT log mirror; contact: ops@example.com)"), or as
// " (contact: C)" when it has none.
std::string UserAgentWithContact(const std::string& user_agent, const std::string& contact);

}  // namespace ctdl::cli
