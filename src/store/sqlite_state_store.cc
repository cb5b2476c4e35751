#include "store/sqlite_state_store.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <mutex>

#include "store/sqlite_chunks.h"
#include "store/sqlite_lease.h"
#include "store/sqlite_util.h"

namespace ctdl {
namespace {

using sqlite::BindInt;
using sqlite::BindText;
using sqlite::ColumnText;
using sqlite::StmtPtr;
using sqlite::StmtUse;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
  url            TEXT PRIMARY KEY NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  log_type       TEXT NOT NULL DEFAULT 'rfc6962',
  submission_url TEXT NOT NULL DEFAULT '',
  operator_name  TEXT NOT NULL DEFAULT '',
  log_id         TEXT NOT NULL DEFAULT '',
  key            TEXT NOT NULL DEFAULT '',
  mmd            INTEGER NOT NULL DEFAULT 0,
  list_state     TEXT NOT NULL DEFAULT '',
  tree_size      INTEGER NOT NULL DEFAULT 0,
  sth            TEXT NOT NULL DEFAULT '',
  position       INTEGER NOT NULL DEFAULT 0,
  verified_size  INTEGER NOT NULL DEFAULT 0,
  compact_range  TEXT NOT NULL DEFAULT '',
  unverified_prefix INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL DEFAULT 0,
  pending_write  TEXT NOT NULL DEFAULT '',
  advanced_at    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  key        TEXT PRIMARY KEY NOT NULL,
  owner      TEXT NOT NULL DEFAULT '',
  counter    INTEGER NOT NULL DEFAULT 0,
  expires_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS host_rates (
  host           TEXT PRIMARY KEY NOT NULL,
  rps            REAL NOT NULL,
  burst          REAL NOT NULL DEFAULT 0,
  retry_after    INTEGER NOT NULL DEFAULT 1,
  operator_name  TEXT NOT NULL DEFAULT '',
  updated_at     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql";

constexpr const char* kHostColumns = "host, rps, burst, retry_after, operator_name, updated_at";

HostRate RowToHostRate(sqlite3_stmt* s) {
  HostRate r;
  r.host = ColumnText(s, 0);
  r.rps = sqlite3_column_double(s, 1);
  r.burst = sqlite3_column_double(s, 2);
  r.retry_after = sqlite3_column_int64(s, 3) != 0;
  r.operator_name = ColumnText(s, 4);
  r.updated_at = sqlite3_column_int64(s, 5);
  return r;
}

constexpr const char* kColumns =
    "url, description, log_type, submission_url, operator_name, log_id, key, mmd, list_state, "
    "tree_size, sth, position, verified_size, compact_range, updated_at, unverified_prefix, pending_write, "
    "advanced_at";

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

LogState RowToLog(sqlite3_stmt* s) {
  LogState l;
  l.url = ColumnText(s, 0);
  l.description = ColumnText(s, 1);
  l.log_type = ColumnText(s, 2);
  l.submission_url = ColumnText(s, 3);
  l.operator_name = ColumnText(s, 4);
  l.log_id = ColumnText(s, 5);
  l.key = ColumnText(s, 6);
  l.mmd = sqlite3_column_int64(s, 7);
  l.list_state = ColumnText(s, 8);
  l.tree_size = static_cast<uint64_t>(sqlite3_column_int64(s, 9));
  l.sth = ColumnText(s, 10);
  l.position = static_cast<uint64_t>(sqlite3_column_int64(s, 11));
  l.verified_size = static_cast<uint64_t>(sqlite3_column_int64(s, 12));
  l.compact_range = ColumnText(s, 13);
  l.updated_at = sqlite3_column_int64(s, 14);
  l.unverified_prefix = static_cast<uint64_t>(sqlite3_column_int64(s, 15));
  l.pending_write = ColumnText(s, 16);
  l.advanced_at = sqlite3_column_int64(s, 17);
  return l;
}

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  Status Begin() {
    TRY(sqlite::Exec(db_, "BEGIN IMMEDIATE"));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    TRY(sqlite::Exec(db_, "COMMIT"));
    open_ = false;
    return Status::Ok();
  }
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

class SqliteStateStore : public StateStore {
 public:
  SqliteStateStore(sqlite::DbPtr db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}

  Status Init() {
    sqlite3* db = db_.get();
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    // journal_mode returns a row; run it as a statement so a read-only/unwritable file shows here.
    {
      auto wal = sqlite::Prepare(db, "PRAGMA journal_mode=WAL");
      if (!wal.ok() || sqlite3_step(wal->get()) != SQLITE_ROW) {
        Status e = sqlite::Error(db, "cannot open state database " + path_);
        if (e.code() == Code::kCorrupt)
          return Corrupt("state database " + path_ + " is not an SQLite database (" + sqlite3_errmsg(db) +
                         ")");
        return e;
      }
    }
    RememberFile();
    TRY(Annotated(sqlite::Exec(db, "PRAGMA synchronous=FULL")));
    {
      Transaction txn(db);
      TRY(Annotated(txn.Begin()));
      TRY(Annotated(sqlite::Exec(db, kSchema)));
      TRY_ASSIGN(StmtPtr ver, Annotated(sqlite::Prepare(db, "SELECT version FROM schema_version")));
      int rc = sqlite3_step(ver.get());
      if (rc == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(ver.get(), 0);
        if (v > kSqliteSchemaVersion)
          return Corrupt("state database " + path_ + " has schema version " + std::to_string(v) +
                         ", newer than this ctdl understands (" + std::to_string(kSqliteSchemaVersion) + ")");
        ver.reset();
        if (v < 2)  // 1 -> 2: logs.unverified_prefix (doc/state.md)
          TRY(Annotated(sqlite::Exec(
              db, "ALTER TABLE logs ADD COLUMN unverified_prefix INTEGER NOT NULL DEFAULT 0; "
                  "UPDATE schema_version SET version=2;")));
        if (v < 3)  // 2 -> 3: logs.pending_write; the leases table came with kSchema
          TRY(Annotated(sqlite::Exec(db,
                                     "ALTER TABLE logs ADD COLUMN pending_write TEXT NOT NULL DEFAULT ''; "
                                     "UPDATE schema_version SET version=3;")));
        if (v < 4)  // 3 -> 4: logs.advanced_at (0 = never advanced since the upgrade)
          TRY(Annotated(sqlite::Exec(db,
                                     "ALTER TABLE logs ADD COLUMN advanced_at INTEGER NOT NULL DEFAULT 0; "
                                     "UPDATE schema_version SET version=4;")));
      } else if (rc == SQLITE_DONE) {
        TRY(Annotated(sqlite::Exec(
            db, ("INSERT INTO schema_version(version) VALUES (" + std::to_string(kSqliteSchemaVersion) + ")")
                    .c_str())));
      } else {
        return Annotated(sqlite::Error(db, "reading the schema version"));
      }
      ver.reset();
      TRY(Annotated(txn.Commit()));
    }
    TRY_ASSIGN(list_, Prepare(std::string("SELECT ") + kColumns + " FROM logs ORDER BY url"));
    TRY_ASSIGN(get_, Prepare(std::string("SELECT ") + kColumns + " FROM logs WHERE url=?1"));
    TRY_ASSIGN(upsert_, Prepare(R"sql(
      INSERT INTO logs (url, description, log_type, submission_url, operator_name, log_id, key, mmd,
                        list_state, tree_size, sth, created_at, updated_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
      ON CONFLICT(url) DO UPDATE SET
        description=excluded.description, log_type=excluded.log_type,
        submission_url=excluded.submission_url, operator_name=excluded.operator_name,
        log_id=excluded.log_id, key=excluded.key, mmd=excluded.mmd, list_state=excluded.list_state,
        sth=CASE WHEN excluded.tree_size > tree_size THEN excluded.sth ELSE sth END,
        tree_size=MAX(tree_size, excluded.tree_size),
        position=CASE WHEN ?13 THEN 0 ELSE position END,
        verified_size=CASE WHEN ?13 THEN 0 ELSE verified_size END,
        compact_range=CASE WHEN ?13 THEN '' ELSE compact_range END,
        unverified_prefix=CASE WHEN ?13 THEN 0 ELSE unverified_prefix END,
        advanced_at=CASE WHEN ?13 THEN 0 ELSE advanced_at END,
        updated_at=excluded.updated_at)sql"));
    TRY_ASSIGN(tree_head_,
               Prepare("UPDATE logs SET tree_size=?2, sth=?3, updated_at=?4 WHERE url=?1 AND tree_size<=?2"));
    TRY_ASSIGN(advance_,
               Prepare("UPDATE logs SET position=?3, verified_size=?4, compact_range=?5, updated_at=?6, "
                       "advanced_at=?6, unverified_prefix=?7, pending_write='' WHERE url=?1 AND position=?2 AND (?8='' "
                       "OR EXISTS (SELECT 1 FROM leases WHERE key=?1 AND owner=?8 AND counter=?9))"));
    TRY_ASSIGN(exists_, Prepare("SELECT position FROM logs WHERE url=?1"));
    TRY_ASSIGN(host_get_, Prepare(std::string("SELECT ") + kHostColumns + " FROM host_rates WHERE host=?1"));
    TRY_ASSIGN(host_list_, Prepare(std::string("SELECT ") + kHostColumns + " FROM host_rates ORDER BY host"));
    TRY_ASSIGN(host_put_, Prepare("INSERT OR REPLACE INTO host_rates (host, rps, burst, retry_after, "
                                  "operator_name, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    TRY_ASSIGN(pending_, Prepare("UPDATE logs SET pending_write=?2 WHERE url=?1"));
    TRY(leases_.Prepare(db, path_));
    return Annotated(chunks_.Init(db));
  }

  Result<std::vector<LogState>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    StmtUse use(list_.get());
    std::vector<LogState> out;
    int rc;
    while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) out.push_back(RowToLog(use.get()));
    if (rc != SQLITE_DONE) return Annotated(sqlite::Error(db_.get(), "listing logs"));
    return out;
  }

  Result<std::optional<LogState>> Get(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu_);
    StmtUse use(get_.get());
    BindText(use.get(), 1, url);
    int rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW) return std::optional<LogState>(RowToLog(use.get()));
    if (rc == SQLITE_DONE) return std::optional<LogState>();
    return Annotated(sqlite::Error(db_.get(), "reading log " + url));
  }

  Status Register(const std::vector<LogState>& logs, bool reset) override {
    for (const auto& l : logs)
      if (l.url.empty()) return InvalidArgument("cannot register a log with an empty url");
    std::lock_guard<std::mutex> lock(mu_);
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    const int64_t now = NowSeconds();
    for (const auto& l : logs) {
      StmtUse use(upsert_.get());
      sqlite3_stmt* s = use.get();
      BindText(s, 1, l.url);
      BindText(s, 2, l.description);
      BindText(s, 3, l.log_type);
      BindText(s, 4, l.submission_url);
      BindText(s, 5, l.operator_name);
      BindText(s, 6, l.log_id);
      BindText(s, 7, l.key);
      BindInt(s, 8, l.mmd);
      BindText(s, 9, l.list_state);
      BindInt(s, 10, static_cast<int64_t>(l.tree_size));
      BindText(s, 11, l.sth);
      BindInt(s, 12, now);
      BindInt(s, 13, reset ? 1 : 0);
      if (sqlite3_step(s) != SQLITE_DONE)
        return Annotated(sqlite::Error(db_.get(), "registering log " + l.url));
    }
    return Annotated(txn.Commit());
  }

  Status UpdateTreeHead(const std::string& url, uint64_t tree_size, const std::string& sth) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    {
      StmtUse use(tree_head_.get());
      BindText(use.get(), 1, url);
      BindInt(use.get(), 2, static_cast<int64_t>(tree_size));
      BindText(use.get(), 3, sth);
      BindInt(use.get(), 4, NowSeconds());
      if (sqlite3_step(use.get()) != SQLITE_DONE)
        return Annotated(sqlite::Error(db_.get(), "updating the tree head of " + url));
    }
    if (sqlite3_changes(db_.get()) == 0) {
      TRY_ASSIGN(bool exists, ExistsLocked(url, nullptr));
      if (!exists) return NotFound("log " + url + " is not registered");
    }
    return Annotated(txn.Commit());
  }

  Status Advance(const std::string& url, uint64_t expected_position, const Progress& progress) override {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(CheckFile());
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    {
      StmtUse use(advance_.get());
      sqlite3_stmt* s = use.get();
      BindText(s, 1, url);
      BindInt(s, 2, static_cast<int64_t>(expected_position));
      BindInt(s, 3, static_cast<int64_t>(progress.position));
      BindInt(s, 4, static_cast<int64_t>(progress.verified_size));
      BindText(s, 5, progress.compact_range);
      BindInt(s, 6, NowSeconds());
      BindInt(s, 7, static_cast<int64_t>(progress.unverified_prefix));
      BindText(s, 8, progress.lease_owner);
      BindInt(s, 9, static_cast<int64_t>(progress.lease_counter));
      if (sqlite3_step(s) != SQLITE_DONE) return Annotated(sqlite::Error(db_.get(), "advancing " + url));
    }
    if (sqlite3_changes(db_.get()) == 0) {
      uint64_t stored = 0;
      TRY_ASSIGN(bool exists, ExistsLocked(url, &stored));
      if (!exists) return NotFound("log " + url + " is not registered");
      if (stored == expected_position)
        return leases_.Held(Lease{url, progress.lease_owner, progress.lease_counter});
      return Conflict("log " + url + " is at position " + std::to_string(stored) + ", not " +
                      std::to_string(expected_position) + ": another process advanced it");
    }
    return Annotated(txn.Commit());
  }

  Result<std::vector<Chunk>> ListChunks(const std::string& url) override {
    std::lock_guard<std::mutex> lock(mu_);
    return Annotated(chunks_.List(url));
  }
  Status PutChunk(const Chunk& chunk, uint64_t expected_counter) override {
    std::lock_guard<std::mutex> lock(mu_);
    return Annotated(chunks_.Put(chunk, expected_counter));
  }

  Result<std::optional<HostRate>> GetHostRate(const std::string& host) override {
    std::lock_guard<std::mutex> lock(mu_);
    StmtUse use(host_get_.get());
    BindText(use.get(), 1, host);
    int rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW) return std::optional<HostRate>(RowToHostRate(use.get()));
    if (rc == SQLITE_DONE) return std::optional<HostRate>();
    return Annotated(sqlite::Error(db_.get(), "reading the rate of host " + host));
  }

  Result<std::vector<HostRate>> ListHostRates() override {
    std::lock_guard<std::mutex> lock(mu_);
    StmtUse use(host_list_.get());
    std::vector<HostRate> out;
    int rc;
    while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) out.push_back(RowToHostRate(use.get()));
    if (rc != SQLITE_DONE) return Annotated(sqlite::Error(db_.get(), "listing host rates"));
    return out;
  }

  Status PutHostRate(const HostRate& r) override {
    TRY(CheckHostRate(r));
    std::lock_guard<std::mutex> lock(mu_);
    StmtUse use(host_put_.get());
    sqlite3_stmt* s = use.get();
    BindText(s, 1, r.host);
    sqlite3_bind_double(s, 2, r.rps);
    sqlite3_bind_double(s, 3, r.burst);
    BindInt(s, 4, r.retry_after ? 1 : 0);
    BindText(s, 5, r.operator_name);
    BindInt(s, 6, NowSeconds());
    if (sqlite3_step(s) != SQLITE_DONE)
      return Annotated(sqlite::Error(db_.get(), "storing the rate of host " + r.host));
    return Status::Ok();
  }

  Result<Lease> GetLease(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(CheckFile());
    return leases_.Get(key);
  }

  Result<Lease> AcquireLease(const std::string& key, const std::string& owner, int64_t now_ms, int64_t ttl_ms,
                             const std::string& dead_owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    TRY_ASSIGN(Lease l, leases_.Acquire(key, owner, now_ms, ttl_ms, dead_owner));
    TRY(Annotated(txn.Commit()));
    return l;
  }

  Result<Lease> RenewLease(const Lease& held, int64_t now_ms, int64_t ttl_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(CheckFile());
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    TRY(leases_.Held(held));
    Lease l = held;
    l.expires_ms = now_ms + ttl_ms;
    TRY(leases_.Put(l));
    TRY(Annotated(txn.Commit()));
    return l;
  }

  Status ReleaseLease(const Lease& held) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    if (!leases_.Held(held).ok()) return Status::Ok();
    Lease l = held;
    l.owner.clear();
    l.expires_ms = 0;
    TRY(leases_.Put(l));
    return Annotated(txn.Commit());
  }

  Status RecordPendingWrite(const std::string& url, const Lease& held, const std::string& pending) override {
    std::lock_guard<std::mutex> lock(mu_);
    TRY(CheckFile());
    Transaction txn(db_.get());
    TRY(Annotated(txn.Begin()));
    TRY_ASSIGN(bool exists, ExistsLocked(url, nullptr));
    if (!exists) return NotFound("log " + url + " is not registered");
    TRY(leases_.Held(held));
    {
      StmtUse use(pending_.get());
      BindText(use.get(), 1, url);
      BindText(use.get(), 2, pending);
      if (sqlite3_step(use.get()) != SQLITE_DONE)
        return Annotated(sqlite::Error(db_.get(), "recording the pending write of " + url));
    }
    return Annotated(txn.Commit());
  }

 private:
  // The file this connection opened must still be the one at path_: a database deleted or replaced
  // while ctdl runs would otherwise take every write and lose it (an open file outlives its name).
  void RememberFile() {
    struct stat st;
    checked_ = ::stat(path_.c_str(), &st) == 0;  // not for ":memory:"
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  Status CheckFile() const {
    if (!checked_) return Status::Ok();
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_)
      return IoError("state database " + path_ +
                     " was deleted or replaced while ctdl was running; nothing more is committed "
                     "(restore it, or run `ctdl init` and `ctdl adopt-archive`)");
    return Status::Ok();
  }

  Result<StmtPtr> Prepare(const std::string& sql) { return Annotated(sqlite::Prepare(db_.get(), sql)); }

  template <typename T>
  T Annotated(T r) {
    if constexpr (std::is_same_v<T, Status>) {
      return r.ok() ? r : r.Annotate("state database " + path_);
    } else {
      if (r.ok()) return r;
      return r.status().Annotate("state database " + path_);
    }
  }

  Result<bool> ExistsLocked(const std::string& url, uint64_t* position) {
    StmtUse use(exists_.get());
    BindText(use.get(), 1, url);
    int rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW) {
      if (position) *position = static_cast<uint64_t>(sqlite3_column_int64(use.get(), 0));
      return true;
    }
    if (rc == SQLITE_DONE) return false;
    return Annotated(sqlite::Error(db_.get(), "reading log " + url));
  }

  std::mutex mu_;
  // Statements are declared after db_ so they are finalized before the connection closes.
  sqlite::DbPtr db_;
  std::string path_;
  bool checked_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  StmtPtr list_, get_, upsert_, tree_head_, advance_, exists_, pending_;
  sqlite::LeaseTable leases_;
  SqliteChunks chunks_;  // after db_ as well: its statements go first
  StmtPtr host_get_, host_list_, host_put_;
};

}  // namespace

Result<std::unique_ptr<StateStore>> OpenSqliteStateStore(const std::string& path, bool create) {
  if (path.empty()) return InvalidArgument("the sqlite state path is empty (use sqlite:PATH)");
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec))
    return NotFound("state database " + path + " does not exist; run `ctdl init` first");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::DbPtr db(raw);
  if (rc != SQLITE_OK)
    return IoError("cannot open state database " + path + ": " +
                   (raw ? sqlite3_errmsg(raw) : "out of memory"));
  auto store = std::make_unique<SqliteStateStore>(std::move(db), path);
  TRY(store->Init());
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace ctdl
