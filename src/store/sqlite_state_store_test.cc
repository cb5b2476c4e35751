// SQLite-only behaviour; the shared contract is in state_store_contract_test.cc.
#include "store/sqlite_state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ctdl {
namespace {

class SqliteStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ctdl-sqlite-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(SqliteStore, MigratesSchemaVersion1) {
  const std::string path = (dir_ / "v1.db").string();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 = R"sql(
      CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version VALUES (1);
      CREATE TABLE logs (url TEXT PRIMARY KEY NOT NULL, description TEXT NOT NULL DEFAULT '',
        log_type TEXT NOT NULL DEFAULT 'rfc6962', submission_url TEXT NOT NULL DEFAULT '',
        operator_name TEXT NOT NULL DEFAULT '', log_id TEXT NOT NULL DEFAULT '', key TEXT NOT NULL DEFAULT '',
        mmd INTEGER NOT NULL DEFAULT 0, list_state TEXT NOT NULL DEFAULT '',
        tree_size INTEGER NOT NULL DEFAULT 0, sth TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL DEFAULT 0, verified_size INTEGER NOT NULL DEFAULT 0,
        compact_range TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
      INSERT INTO logs (url, tree_size, position) VALUES ('https://old.example/', 99, 77);)sql";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  for (int round = 0; round < 2; ++round) {  // the second open finds version 2
    auto store = OpenSqliteStateStore(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto g = (*store)->Get("https://old.example/");
    ASSERT_TRUE(g.ok() && g->has_value());
    EXPECT_EQ((*g)->position, round == 0 ? 77u : 80u);
    EXPECT_EQ((*g)->unverified_prefix, round == 0 ? 0u : 77u);
    if (round == 0) {
      ASSERT_TRUE((*store)->Advance("https://old.example/", 77, {80, 0, "", 77}).ok());
    }
  }
}

int SchemaVersion(const std::string& path) {
  sqlite3* db = nullptr;
  int v = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

// A version 3 file (ctdl before logs.advanced_at) opens as version 4: its logs keep their progress,
// advanced_at reads 0 ("never") until the next Advance, which then survives a reopen.
TEST_F(SqliteStore, MigratesSchemaVersion3ToAdvancedAt) {
  const std::string path = (dir_ / "v3.db").string();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v3 = R"sql(
      CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version VALUES (3);
      CREATE TABLE logs (url TEXT PRIMARY KEY NOT NULL, description TEXT NOT NULL DEFAULT '',
        log_type TEXT NOT NULL DEFAULT 'rfc6962', submission_url TEXT NOT NULL DEFAULT '',
        operator_name TEXT NOT NULL DEFAULT '', log_id TEXT NOT NULL DEFAULT '', key TEXT NOT NULL DEFAULT '',
        mmd INTEGER NOT NULL DEFAULT 0, list_state TEXT NOT NULL DEFAULT '',
        tree_size INTEGER NOT NULL DEFAULT 0, sth TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL DEFAULT 0, verified_size INTEGER NOT NULL DEFAULT 0,
        compact_range TEXT NOT NULL DEFAULT '', unverified_prefix INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL DEFAULT 0,
        pending_write TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
      CREATE TABLE leases (key TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL DEFAULT '',
        counter INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
      INSERT INTO logs (url, tree_size, position, verified_size, compact_range, updated_at)
        VALUES ('https://v3.example/', 99, 77, 77, '77:h', 1700000000);)sql";
    ASSERT_EQ(sqlite3_exec(db, v3, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  {
    auto store = OpenSqliteStateStore(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto g = (*store)->Get("https://v3.example/");
    ASSERT_TRUE(g.ok() && g->has_value());
    EXPECT_EQ((*g)->position, 77u);
    EXPECT_EQ((*g)->verified_size, 77u);
    EXPECT_EQ((*g)->updated_at, 1700000000);
    EXPECT_EQ((*g)->advanced_at, 0);
    ASSERT_TRUE((*store)->UpdateTreeHead("https://v3.example/", 120, "sth").ok());
    ASSERT_TRUE((*store)->Advance("https://v3.example/", 77, {99, 99, "99:h"}).ok());
  }
  EXPECT_EQ(SchemaVersion(path), kSqliteSchemaVersion);
  auto store = OpenSqliteStateStore(path);  // the second open finds version 4 and changes nothing
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto g = (*store)->Get("https://v3.example/");
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->position, 99u);
  EXPECT_EQ((*g)->tree_size, 120u);
  EXPECT_GE((*g)->advanced_at, (*g)->updated_at - 1);
  EXPECT_GT((*g)->advanced_at, 1700000000);
  EXPECT_EQ(SchemaVersion(path), kSqliteSchemaVersion);
}

TEST_F(SqliteStore, PersistsAcrossReopenInWalMode) {
  const std::string path = (dir_ / "state.db").string();
  {
    auto store = OpenSqliteStateStore(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    LogState l;
    l.url = "https://a.example/";
    l.tree_size = 42;
    ASSERT_TRUE((*store)->Register({l}, false).ok());
    ASSERT_TRUE((*store)->Advance(l.url, 0, {40, 40, "40:x"}).ok());
  }
  auto store = OpenSqliteStateStore(path);
  ASSERT_TRUE(store.ok());
  auto g = (*store)->Get("https://a.example/");
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->position, 40u);
  EXPECT_EQ((*g)->tree_size, 42u);
  EXPECT_GT((*g)->advanced_at, 0) << "advanced_at did not survive the reopen";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), kSqliteSchemaVersion);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(SqliteStore, TwoConnectionsShareOneFileWithCompareAndSet) {
  const std::string path = (dir_ / "state.db").string();
  auto a = OpenSqliteStateStore(path);
  auto b = OpenSqliteStateStore(path);
  ASSERT_TRUE(a.ok() && b.ok());
  LogState l;
  l.url = "https://a.example/";
  ASSERT_TRUE((*a)->Register({l}, false).ok());
  ASSERT_TRUE((*a)->Advance(l.url, 0, {10, 0, ""}).ok());
  EXPECT_EQ((*b)->Advance(l.url, 0, {20, 0, ""}).code(), Code::kConflict);
  EXPECT_TRUE((*b)->Advance(l.url, 10, {20, 0, ""}).ok());
}

TEST_F(SqliteStore, MissingFolderIsAClearError) {
  auto r = OpenSqliteStateStore((dir_ / "no" / "such" / "dir" / "state.db").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIo);
  EXPECT_NE(r.status().message().find("no/such/dir/state.db"), std::string::npos);
}

TEST_F(SqliteStore, OpenWithoutCreateDoesNotCreate) {
  const std::string path = (dir_ / "state.db").string();
  auto r = OpenSqliteStateStore(path, /*create=*/false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_TRUE(OpenSqliteStateStore(path).ok());
  EXPECT_TRUE(OpenSqliteStateStore(path, false).ok());
}

TEST_F(SqliteStore, UnwritableFolderIsAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  auto r = OpenSqliteStateStore((dir_ / "state.db").string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("state.db"), std::string::npos);
}

TEST_F(SqliteStore, NotADatabaseIsCorrupt) {
  const std::string path = (dir_ / "junk.db").string();
  std::ofstream(path) << "this is not a sqlite database, just some text that is long enough.\n";
  auto r = OpenSqliteStateStore(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().ToString();
}

TEST_F(SqliteStore, NewerSchemaIsRefused) {
  const std::string path = (dir_ / "state.db").string();
  ASSERT_TRUE(OpenSqliteStateStore(path).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto r = OpenSqliteStateStore(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("99"), std::string::npos);
}

}  // namespace
}  // namespace ctdl
