// Archive keys: the one rule every backend (dir, s3, memory) applies, so a key that works in one
// works in all. A key is 1..1024 bytes of '/'-separated components; each component is non-empty,
// does not start with '.' (this also rules out "." / ".." and the dir backend's temp files), and holds
// only printable ASCII other than '\\'. Thread-safe pure functions.
#pragma once

#include <string_view>

#include "base/status.h"

namespace ctdl {

inline constexpr size_t kMaxArchiveKeyBytes = 1024;

// Ok, or kInvalidArgument naming the key and the rule it breaks.
Status ValidateArchiveKey(std::string_view key);

// List prefixes may be empty or end in the middle of a component ("slug/0000"), but must not
// contain "..", a leading '/', '\\' or control bytes.
Status ValidateArchivePrefix(std::string_view prefix);

}  // namespace ctdl
