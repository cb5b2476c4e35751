#include "cli/backends.h"

#include "sink/dir_archive.h"
#include "sink/s3_archive.h"
#include "store/dynamodb_state_store.h"
#include "store/sqlite_state_store.h"

namespace ctdl::cli {
namespace {

bool StartsWith(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

}  // namespace

Status CheckStateUri(const std::string& uri) {
  if (StartsWith(uri, "sqlite:")) {
    if (uri.size() == 7) return InvalidArgument("--state sqlite: needs a path, e.g. sqlite:ctdl-state.db");
    return Status::Ok();
  }
  if (StartsWith(uri, "dynamodb:")) return Status::Ok();  // empty table name: the seed's default
  return InvalidArgument("--state \"" + uri +
                         "\" has an unknown scheme; use sqlite:PATH or dynamodb:TABLE");
}

Status CheckArchiveUri(const std::string& uri) {
  if (StartsWith(uri, "dir:")) {
    if (uri.size() == 4) return InvalidArgument("--archive dir: needs a path, e.g. dir:ctdl-archive");
    return Status::Ok();
  }
  if (StartsWith(uri, "s3://")) {
    if (uri.size() == 5) return InvalidArgument("--archive s3:// needs a bucket, e.g. s3://my-bucket/ct");
    return Status::Ok();
  }
  return InvalidArgument("--archive \"" + uri +
                         "\" has an unknown scheme; use dir:PATH or s3://BUCKET[/PREFIX]");
}

Result<std::unique_ptr<StateStore>> OpenStateStore(const std::string& uri, HttpClient* http,
                                                   bool create) {
  TRY(CheckStateUri(uri));
  if (StartsWith(uri, "sqlite:")) return OpenSqliteStateStore(uri.substr(7), create);
  std::string table = uri.substr(9);
  if (table.empty()) table = kDefaultDynamoDbTable;  // the seed's CT_STATE_TABLE
  return OpenDynamoDbStateStore(table, http, create);  // create: on-demand table
}

Result<std::unique_ptr<Archive>> OpenArchive(const std::string& uri, HttpClient* http) {
  TRY(CheckArchiveUri(uri));
  if (StartsWith(uri, "dir:")) return OpenDirArchive(uri.substr(4));
  return OpenS3Archive(uri, http);
}

}  // namespace ctdl::cli
