// Archive: where segments go. Backends: dir (default), s3, memory (tests). Every backend passes the
// same contract suite. Thread safety: implementations are safe to call from several threads.
// Put is atomic (a reader sees the whole object or nothing), idempotent (same key, same bytes: ok) and
// create-exclusive: it never replaces an object that holds other bytes (kConflict naming the object;
// dir: link(2) onto the final name; S3: If-None-Match: * where the server honours it, else a HEAD
// before the PUT, see s3_archive.h). So two writers can never silently replace each other's data.
// When Put returns ok the object is durable (fsync'd file + directory; S3 confirmed by HEAD).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
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
  // Removes what this backend's own interrupted Puts left beside `prefix` (dir: temp files of
  // processes that no longer run); returns how many. Never touches an object. Default: none.
  virtual Result<int> RemoveStaleTempFiles(const std::string& prefix) {
    (void)prefix;
    return 0;
  }
};

// The kConflict every backend returns when Put finds `where` holding other bytes.
Status ExistsDifferent(const std::string& where);

// Get, read again after 0.2, 0.4 and 0.8 s while `whole` rejects the bytes: on a server that writes
// in place (s3rver) another writer's upload in progress reads as garbage for a moment. Returns the
// last bytes read, whole or not; errors as Get's.
Result<std::string> GetWhole(Archive& archive, const std::string& key, Clock& clock,
                             const std::function<bool(std::string_view)>& whole);

}  // namespace ctdl
