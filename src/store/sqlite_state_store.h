// SQLite StateStore (the default backend, `--state sqlite:PATH`). Layout and schema: doc/state.md.
// WAL journal, busy_timeout 5 s (several ctdl processes may share one file), one transaction per
// change, prepared statements. Advance is one `UPDATE ... WHERE url=? AND position=?`.
// Thread-safe: one connection, calls serialized by a mutex.
// Errors: kIo when the file cannot be opened/created/written (message names the path), kCorrupt when it
// is not a ctdl state database or was written by a newer schema.
#pragma once

#include <memory>
#include <string>

#include "store/state_store.h"

namespace ctdl {

// 2: logs.unverified_prefix; 3: leases, pending_write; 4: logs.advanced_at
inline constexpr int kSqliteSchemaVersion = 4;

// Opens the database at `path`, creating it when missing if `create` is true; otherwise a missing
// file is kNotFound ("... does not exist; run `ctdl init` first").
Result<std::unique_ptr<StateStore>> OpenSqliteStateStore(const std::string& path, bool create = true);

}  // namespace ctdl
