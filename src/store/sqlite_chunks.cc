#include "store/sqlite_chunks.h"

#include <ctime>

namespace ctdl {
namespace {

using sqlite::BindInt;
using sqlite::BindText;
using sqlite::ColumnText;
using sqlite::StmtUse;

constexpr const char* kChunkSchema = R"sql(
CREATE TABLE IF NOT EXISTS chunks (
  url            TEXT NOT NULL,
  idx            INTEGER NOT NULL,
  size           INTEGER NOT NULL,
  state          TEXT NOT NULL DEFAULT 'free',
  owner          TEXT NOT NULL DEFAULT '',
  counter        INTEGER NOT NULL DEFAULT 0,
  expires_at     INTEGER NOT NULL DEFAULT 0,
  position       INTEGER NOT NULL DEFAULT 0,
  compact_range  TEXT NOT NULL DEFAULT '',
  subtree_hash   TEXT NOT NULL DEFAULT '',
  rejected       INTEGER NOT NULL DEFAULT 0,
  note           TEXT NOT NULL DEFAULT '',
  updated_at     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (url, idx)
) WITHOUT ROWID;
)sql";

constexpr const char* kColumns =
    "url, idx, size, state, owner, counter, expires_at, position, compact_range, subtree_hash, "
    "rejected, note, updated_at";

// Binds url..updated_at as ?1..?13 in kColumns order.
void BindChunk(sqlite3_stmt* s, const Chunk& c, uint64_t counter, int64_t now) {
  BindText(s, 1, c.url);
  BindInt(s, 2, static_cast<int64_t>(c.index));
  BindInt(s, 3, static_cast<int64_t>(c.size));
  BindText(s, 4, ChunkStateName(c.state));
  BindText(s, 5, c.owner);
  BindInt(s, 6, static_cast<int64_t>(counter));
  BindInt(s, 7, c.expires_at);
  BindInt(s, 8, static_cast<int64_t>(c.position));
  BindText(s, 9, c.compact_range);
  BindText(s, 10, c.subtree_hash);
  BindInt(s, 11, c.rejected);
  BindText(s, 12, c.note);
  BindInt(s, 13, now);
}

Result<Chunk> RowToChunk(sqlite3_stmt* s) {
  Chunk c;
  c.url = ColumnText(s, 0);
  c.index = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
  c.size = static_cast<uint64_t>(sqlite3_column_int64(s, 2));
  if (!ParseChunkState(ColumnText(s, 3), &c.state))
    return Corrupt("chunk " + std::to_string(c.index) + " of " + c.url + " has state '" +
                   ColumnText(s, 3) + "'");
  c.owner = ColumnText(s, 4);
  c.counter = static_cast<uint64_t>(sqlite3_column_int64(s, 5));
  c.expires_at = sqlite3_column_int64(s, 6);
  c.position = static_cast<uint64_t>(sqlite3_column_int64(s, 7));
  c.compact_range = ColumnText(s, 8);
  c.subtree_hash = ColumnText(s, 9);
  c.rejected = static_cast<uint32_t>(sqlite3_column_int64(s, 10));
  c.note = ColumnText(s, 11);
  c.updated_at = sqlite3_column_int64(s, 12);
  return c;
}

std::string Name(const Chunk& c) { return "chunk " + std::to_string(c.index) + " of " + c.url; }

}  // namespace

Status SqliteChunks::Init(sqlite3* db) {
  db_ = db;
  TRY(sqlite::Exec(db_, kChunkSchema));
  TRY_ASSIGN(list_, sqlite::Prepare(db_, std::string("SELECT ") + kColumns +
                                             " FROM chunks WHERE url=?1 ORDER BY idx"));
  // A missing row counts as counter 0 (doc/distributed.md): created by the first write.
  TRY_ASSIGN(insert_, sqlite::Prepare(db_, std::string("INSERT OR IGNORE INTO chunks (") + kColumns +
                                               ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"));
  TRY_ASSIGN(update_, sqlite::Prepare(db_,
                                      "UPDATE chunks SET size=?3, state=?4, owner=?5, counter=?6, "
                                      "expires_at=?7, position=?8, compact_range=?9, subtree_hash=?10, "
                                      "rejected=?11, note=?12, updated_at=?13 "
                                      "WHERE url=?1 AND idx=?2 AND counter=?14"));
  TRY_ASSIGN(counter_, sqlite::Prepare(db_, "SELECT counter FROM chunks WHERE url=?1 AND idx=?2"));
  return Status::Ok();
}

Result<std::vector<Chunk>> SqliteChunks::List(const std::string& url) {
  StmtUse use(list_.get());
  BindText(use.get(), 1, url);
  std::vector<Chunk> out;
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    TRY_ASSIGN(Chunk c, RowToChunk(use.get()));
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(db_, "listing the chunks of " + url);
  return out;
}

Status SqliteChunks::Put(const Chunk& c, uint64_t expected) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (expected == 0) {
    StmtUse use(insert_.get());
    BindChunk(use.get(), c, 1, now);
    if (sqlite3_step(use.get()) != SQLITE_DONE) return sqlite::Error(db_, "creating " + Name(c));
    if (sqlite3_changes(db_) == 1) return Status::Ok();
  }
  {
    StmtUse use(update_.get());
    BindChunk(use.get(), c, expected + 1, now);
    BindInt(use.get(), 14, static_cast<int64_t>(expected));
    if (sqlite3_step(use.get()) != SQLITE_DONE) return sqlite::Error(db_, "writing " + Name(c));
  }
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  StmtUse use(counter_.get());
  BindText(use.get(), 1, c.url);
  BindInt(use.get(), 2, static_cast<int64_t>(c.index));
  int rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return NotFound(Name(c) + " does not exist");
  if (rc != SQLITE_ROW) return sqlite::Error(db_, "reading " + Name(c));
  return Conflict(Name(c) + " has lease counter " + std::to_string(sqlite3_column_int64(use.get(), 0)) +
                  ", not " + std::to_string(expected) + ": another worker wrote it");
}

}  // namespace ctdl
