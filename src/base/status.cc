#include "base/status.h"

namespace ctdl {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kIo: return "I/O error";
    case Code::kCorrupt: return "corrupt data";
    case Code::kUnavailable: return "unavailable";
    case Code::kConflict: return "conflict";
    case Code::kVerifyFailed: return "verification failed";
    case Code::kCancelled: return "cancelled";
    case Code::kUnimplemented: return "not built yet";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

}  // namespace ctdl
