// RAII and small helpers around sqlite3 handles, for store/ only. Not thread-safe by themselves.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ctdl::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Resets the statement (and clears bindings) when it goes out of scope.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* s) : s_(s) {}
  ~StmtUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

Status Error(sqlite3* db, std::string_view what);
Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql);
Status Exec(sqlite3* db, const char* sql);
void BindText(sqlite3_stmt* s, int i, std::string_view v);
void BindInt(sqlite3_stmt* s, int i, int64_t v);
std::string ColumnText(sqlite3_stmt* s, int i);

}  // namespace ctdl::sqlite
