// The `leases` table of the SQLite state store (schema in doc/state.md): one row per leased key.
// Callers hold the store's mutex and, for writes, an open BEGIN IMMEDIATE transaction, so a read
// followed by a write is one compare-and-set. Not thread-safe by itself.
#pragma once

#include <string>

#include "store/sqlite_util.h"
#include "store/state_store.h"

namespace ctdl::sqlite {

class LeaseTable {
 public:
  Status Prepare(sqlite3* db, const std::string& path);
  // The stored lease (free, counter 0 when there is no row).
  Result<Lease> Get(const std::string& key);
  // StateStore::AcquireLease's rule, read and written inside the caller's transaction.
  Result<Lease> Acquire(const std::string& key, const std::string& owner, int64_t now_ms, int64_t ttl_ms,
                        const std::string& dead_owner);
  // Ok when `held` is still the stored lease (same owner and counter), else kConflict.
  Status Held(const Lease& held);
  // Writes the row (insert or replace).
  Status Put(const Lease& lease);

 private:
  Status Err(const std::string& what);
  sqlite3* db_ = nullptr;
  std::string path_;
  StmtPtr get_, put_;
};

}  // namespace ctdl::sqlite
