#include "cli/exit_codes.h"

namespace ctdl::cli {

int ExitCodeFor(const Status& status, Origin origin) {
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kConflict:
      return kExitConflict;
    case Code::kVerifyFailed:
      return kExitVerifyFailed;
    case Code::kCancelled:
      return kExitInterrupted;
    case Code::kUnimplemented:
      return kExitUnimplemented;
    case Code::kInternal:
      return kExitError;
    default:
      break;
  }
  switch (origin) {
    case Origin::kStateStore:
      return kExitStateStore;
    case Origin::kArchive:
      return kExitArchive;
    case Origin::kInput:
      return kExitBadInput;
    case Origin::kNetwork:
      return kExitNetwork;
    case Origin::kGeneral:
      break;
  }
  switch (status.code()) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kCorrupt:
      return kExitBadInput;
    case Code::kUnavailable:
      return kExitNetwork;
    default:
      return kExitError;
  }
}

}  // namespace ctdl::cli
