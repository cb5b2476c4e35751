// Reads a log list from a file path (or file:///absolute/path) or an http(s) URL.
// Errors: kInvalidArgument (file missing/unreadable, message names it), kUnavailable (URL unreachable
// or not HTTP 200).
#pragma once

#include <string>

#include "base/status.h"
#include "ct/log_list.h"
#include "store/state_store.h"
#include "net/http_client.h"

namespace ctdl::cli {

bool IsHttpUrl(const std::string& s);
Result<std::string> ReadLogListSource(const std::string& source, HttpClient& http);
// The state record a listed log is registered as (metadata only; no position).
LogState ToLogState(const ListedLog& listed);

}  // namespace ctdl::cli
