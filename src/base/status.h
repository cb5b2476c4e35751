// Errors are values. Every fallible function returns Status or Result<T>; no exceptions cross our APIs.
// A Status carries a Code (what the caller should do next) and one human sentence.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ctdl {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the user's input is wrong (flags, files, URIs)
  kNotFound,         // a named thing does not exist (log URL, object, table)
  kIo,               // local I/O failed (disk, permissions)
  kCorrupt,          // bytes from outside (log, store, archive) are malformed
  kUnavailable,      // transient: network, 5xx, throttling; retrying may help
  kConflict,         // compare-and-set lost: someone else advanced the state
  kVerifyFailed,     // a signature, Merkle root or consistency proof did not check out
  kCancelled,        // stopped by a signal
  kUnimplemented,    // not built yet
  kInternal,         // a bug in ctdl
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;
  // Returns a copy with "context: " prefixed to the message.
  Status Annotate(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {Code::kIo, std::move(m)}; }
inline Status Corrupt(std::string m) { return {Code::kCorrupt, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status VerifyFailed(std::string m) { return {Code::kVerifyFailed, std::move(m)}; }
inline Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// Result<T> holds either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be ok

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace ctdl

#define CTDL_CONCAT_INNER(a, b) a##b
#define CTDL_CONCAT(a, b) CTDL_CONCAT_INNER(a, b)

// TRY(expr): return the Status of expr (a Status or Result<T>) from the enclosing function if not ok.
#define TRY(expr)                                                         \
  do {                                                                    \
    auto&& _ctdl_try = (expr);                                            \
    if (!::ctdl::internal::AsStatus(_ctdl_try).ok())                      \
      return ::ctdl::internal::AsStatus(_ctdl_try);                       \
  } while (0)

// TRY_ASSIGN(lhs, expr): evaluate a Result<T>; return its Status if not ok, else move the value into lhs.
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL(CTDL_CONCAT(_ctdl_r_, __LINE__), lhs, expr)
#define TRY_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                    \
  if (!tmp.ok()) return tmp.status();   \
  lhs = std::move(tmp).value()
