// The `chunks` table of the SQLite state store (doc/state.md, doc/distributed.md): one row per
// (url, idx), created with the store's schema (no schema version change: older ctdl ignore it).
// Implements StateStore's chunk methods for SqliteStateStore; the caller holds its mutex, so this is
// not thread-safe by itself. Several processes may share the file: PutChunk is one UPDATE ... WHERE
// counter = expected, atomic in SQLite.
#pragma once

#include <string>
#include <vector>

#include "store/chunk.h"
#include "store/sqlite_util.h"

namespace ctdl {

class SqliteChunks {
 public:
  // Creates the table if missing and prepares the statements. `db` must outlive this object.
  Status Init(sqlite3* db);
  Result<std::vector<Chunk>> List(const std::string& url);
  Status Put(const Chunk& chunk, uint64_t expected_counter);

 private:
  sqlite3* db_ = nullptr;
  sqlite::StmtPtr list_, insert_, update_, counter_;
};

}  // namespace ctdl
