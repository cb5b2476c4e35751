// Where a download's error came from, for its exit code (doc/exit-codes.md): the state store (4), the
// archive (5), or elsewhere (the log, the network, verification). The download runs on these
// decorators; each remembers the messages of the errors its backend returned, and OriginOf finds
// the one an (annotated) final error started from. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "cli/exit_codes.h"
#include "sink/archive.h"
#include "store/state_store.h"

namespace ctdl::cli {

class ErrorLog {
 public:
  template <typename R>
  R Note(R r) {
    const Status& s = internal::AsStatus(r);
    if (!s.ok() && s.code() != Code::kConflict) {
      std::lock_guard<std::mutex> l(mu_);
      if (seen_.size() < 100) seen_.insert(s.message());
    }
    return r;
  }
  bool Produced(const Status& s) const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> seen_;
};

std::unique_ptr<StateStore> TrackStore(StateStore* inner, ErrorLog* log);
std::unique_ptr<Archive> TrackArchive(Archive* inner, ErrorLog* log);

// kStateStore / kArchive when the error started in that backend, else `fallback`.
Origin OriginOf(const Status& s, const ErrorLog& store, const ErrorLog& archive,
                Origin fallback = Origin::kGeneral);

}  // namespace ctdl::cli
