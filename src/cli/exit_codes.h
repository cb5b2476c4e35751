// Process exit codes (documented in doc/exit-codes.md) and the mapping from Status to them.
#pragma once

#include "base/status.h"

namespace ctdl::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,          // anything else (a bug, an aborted confirmation)
  kExitUsage = 2,          // bad flags, unknown command, confirmation impossible
  kExitBadInput = 3,       // unreadable/malformed log list, unknown URI scheme, unknown log URL
  kExitStateStore = 4,     // state store cannot be opened/read/written
  kExitArchive = 5,        // archive cannot be opened/written
  kExitNetwork = 6,        // a log or log list could not be reached
  kExitVerifyFailed = 7,   // signature / Merkle / consistency check failed
  kExitConflict = 8,       // another process advanced the same log (compare-and-set lost)
  kExitUnimplemented = 9,  // the feature is not built yet
  kExitInterrupted = 130,  // stopped by SIGINT/SIGTERM
};

// Where an error came from decides the code for kIo/kCorrupt-style failures.
enum class Origin { kGeneral, kStateStore, kArchive, kInput, kNetwork };

// An error with its exit code. Commands return this; main prints "ctdl: error: <message>".
struct Failure {
  int exit_code = kExitOk;
  Status status;
  bool ok() const { return exit_code == kExitOk && status.ok(); }
};

int ExitCodeFor(const Status& status, Origin origin = Origin::kGeneral);
inline Failure Fail(const Status& status, Origin origin = Origin::kGeneral) {
  return {ExitCodeFor(status, origin), status};
}
inline Failure Succeed() { return {}; }

}  // namespace ctdl::cli
