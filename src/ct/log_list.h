// Chrome CT log list v3 (https://www.gstatic.com/ct/log_list/v3/log_list_schema.json): parsing only.
//   operators[].logs[]       -> RFC 6962 logs, keyed by `url`
//   operators[].tiled_logs[] -> static-ct-api logs, keyed by `monitoring_url` (submission_url kept)
// Logs whose state is `rejected` are skipped, and logs with `log_type: "test"` unless include_test.
// URLs are normalized to end in '/'. Unknown fields are ignored.
// Errors (kCorrupt): malformed JSON, wrong types, or a log missing a required field (key, log_id, mmd,
// url / monitoring_url + submission_url) -> one sentence naming the log. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ctdl {

struct ListedLog {
  std::string url;             // RFC 6962 url or tiled monitoring_url, ending in '/'
  std::string log_type;        // "rfc6962" | "tiled"
  std::string submission_url;  // tiled only, ending in '/'
  std::string description;
  std::string operator_name;
  std::string log_id;  // base64
  std::string key;     // base64 DER SubjectPublicKeyInfo
  int64_t mmd = 0;
  std::string state;          // the single key of "state" (usable, qualified, ...), "" when absent
  std::string list_log_type;  // "log_type" from the list ("test", "monitoring_only", ""), informative
};

struct LogList {
  std::string version;          // "version" of the list, if present
  std::vector<ListedLog> logs;  // kept logs, in list order
  int skipped_rejected = 0;
  int skipped_test = 0;
  std::vector<std::string> warnings;  // e.g. a url listed twice (the first entry is kept)
};

struct LogListOptions {
  bool include_test = false;
};

Result<LogList> ParseLogList(std::string_view json, const LogListOptions& options = {});

}  // namespace ctdl
