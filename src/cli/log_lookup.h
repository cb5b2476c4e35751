// The registered log a URL on the command line names: the URL in canonical form (ct/log_url.h), or,
// for states written by an older ctdl, as typed with a trailing '/'. Warns (stderr) about metadata
// addresses. Errors: kInvalidArgument (not a usable log URL), kNotFound (not registered; the message
// says how to list and register logs), store errors as they come.
#pragma once

#include <string>

#include "base/status.h"
#include "cli/exit_codes.h"
#include "store/state_store.h"

namespace ctdl::cli {

Result<LogState> LookUpRegisteredLog(StateStore& store, const std::string& raw_url,
                                     const std::string& state_uri);
// Where a LookUpRegisteredLog error comes from, for its exit code: the input (bad or unknown URL:
// exit 3) or the state store (exit 4).
inline Origin LookUpOrigin(const Status& s) {
  return s.code() == Code::kNotFound || s.code() == Code::kInvalidArgument ? Origin::kInput
                                                                           : Origin::kStateStore;
}

}  // namespace ctdl::cli
