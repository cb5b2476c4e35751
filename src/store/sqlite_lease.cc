#include "store/sqlite_lease.h"

#include "store/lease.h"

namespace ctdl::sqlite {

Status LeaseTable::Prepare(sqlite3* db, const std::string& path) {
  db_ = db;
  path_ = path;
  TRY_ASSIGN(get_, sqlite::Prepare(db, "SELECT owner, counter, expires_ms FROM leases WHERE key=?1"));
  TRY_ASSIGN(put_, sqlite::Prepare(db,
                                   "INSERT INTO leases (key, owner, counter, expires_ms) "
                                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO UPDATE SET "
                                   "owner=excluded.owner, counter=excluded.counter, "
                                   "expires_ms=excluded.expires_ms"));
  return Status::Ok();
}

Status LeaseTable::Err(const std::string& what) {
  return sqlite::Error(db_, what).Annotate("state database " + path_);
}

Result<Lease> LeaseTable::Get(const std::string& key) {
  StmtUse use(get_.get());
  BindText(use.get(), 1, key);
  Lease l;
  l.key = key;
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_ROW) {
    l.owner = ColumnText(use.get(), 0);
    l.counter = static_cast<uint64_t>(sqlite3_column_int64(use.get(), 1));
    l.expires_ms = sqlite3_column_int64(use.get(), 2);
  } else if (rc != SQLITE_DONE) {
    return Err("reading the lease on " + key);
  }
  return l;
}

Result<Lease> LeaseTable::Acquire(const std::string& key, const std::string& owner, int64_t now_ms,
                                  int64_t ttl_ms, const std::string& dead_owner) {
  if (key.empty() || owner.empty()) return InvalidArgument("a lease needs a key and an owner");
  TRY_ASSIGN(Lease l, Get(key));
  if (l.owner != owner) {
    if (!l.Free(now_ms) && (dead_owner.empty() || l.owner != dead_owner)) return LeaseHeld(l, now_ms);
    l.owner = owner;
    ++l.counter;
  }
  l.expires_ms = now_ms + ttl_ms;
  TRY(Put(l));
  return l;
}

Status LeaseTable::Held(const Lease& held) {
  TRY_ASSIGN(Lease l, Get(held.key));
  if (!held.owner.empty() && l.owner == held.owner && l.counter == held.counter) return Status::Ok();
  return LeaseLost(held, l);
}

Status LeaseTable::Put(const Lease& l) {
  StmtUse use(put_.get());
  BindText(use.get(), 1, l.key);
  BindText(use.get(), 2, l.owner);
  BindInt(use.get(), 3, static_cast<int64_t>(l.counter));
  BindInt(use.get(), 4, l.expires_ms);
  if (sqlite3_step(use.get()) != SQLITE_DONE) return Err("writing the lease on " + l.key);
  return Status::Ok();
}

}  // namespace ctdl::sqlite
