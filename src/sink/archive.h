// Archive: where segments go. Backends: dir (default), s3, memory (tests). Every backend passes the
// same contract suite. Thread safety: implementations are safe to call from several threads.
// Put is atomic (a reader sees the whole object or nothing) and idempotent (same key, same bytes).
// When Put returns ok the object is durable (fsync'd file + directory; S3 confirmed by HEAD).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ctdl {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

class Archive {
 public:
  virtual ~Archive() = default;
  virtual Status Put(const std::string& key, std::string_view data) = 0;
  virtual Result<std::string> Get(const std::string& key) = 0;          // kNotFound when missing
  virtual Result<std::vector<ObjectInfo>> List(const std::string& prefix) = 0;  // sorted by key
  virtual Status Delete(const std::string& key) = 0;                    // missing is ok
  virtual std::string Describe() const = 0;                             // "dir:PATH", "s3://b/p"
};

}  // namespace ctdl
