// Which registered logs `download --all` mirrors: those whose log-list state is usable, qualified or
// readonly (pending, retired, rejected and unlisted logs are left out), narrowed by the filters.
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "store/state_store.h"

namespace ctdl::cli {

struct LogFilter {
  std::string log_type;      // "rfc6962" | "tiled" | "" (any)
  std::string operator_sub;  // substring of the operator name, case-insensitive ("" any)
  std::string url_sub;       // substring of the URL ("" any)
};

// True for the list states --all takes.
bool MirroredState(const std::string& list_state);
bool Matches(const LogState& log, const LogFilter& filter);
// The URLs of `logs` that --all selects, in the given order.
std::vector<std::string> SelectLogs(const std::vector<LogState>& logs, const LogFilter& filter);

}  // namespace ctdl::cli
