// Picks concrete backends from URIs. This is the one place new backends are plugged in.
//   --state   sqlite:PATH | dynamodb:TABLE
//   --archive dir:PATH    | s3://BUCKET[/PREFIX]
// Errors: kInvalidArgument for an unknown scheme or an empty path (one sentence naming the URI),
// kUnimplemented for a scheme whose backend is not built yet, else the backend's own error.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "net/http_client.h"
#include "sink/archive.h"
#include "store/state_store.h"

namespace ctdl::cli {

// Checks the URI's form only (no I/O), so commands can refuse bad flags before doing work.
Status CheckStateUri(const std::string& uri);
Status CheckArchiveUri(const std::string& uri);

// `http` must outlive the returned backend (remote backends talk through it). With create=false a
// local store that does not exist yet is kNotFound instead of being created (status, download).
// Local paths are checked first, with messages that name the fix: a state file's folder must exist
// (kNotFound otherwise); an archive folder, or the folder it will be created in, must be writable.
Result<std::unique_ptr<StateStore>> OpenStateStore(const std::string& uri, HttpClient* http,
                                                   bool create = true);
Result<std::unique_ptr<Archive>> OpenArchive(const std::string& uri, HttpClient* http);

// The state store's name for people, written into the archive's writer claims: the URI with an
// SQLite path made absolute ("sqlite:/home/me/ctdl-state.db"); other URIs as given.
std::string StateStoreName(const std::string& uri);

}  // namespace ctdl::cli
