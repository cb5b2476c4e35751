#include "cli/backends.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sink/dir_archive.h"
#include "sink/s3_archive.h"
#include "store/dynamodb_state_store.h"
#include "store/sqlite_state_store.h"

namespace ctdl::cli {
namespace {

bool StartsWith(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

namespace fs = std::filesystem;

std::string FolderOf(const std::string& file) {
  fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The SQLite file's folder must exist (SQLite creates the file, not folders).
Status CheckStateFolder(const std::string& path) {
  std::string folder = FolderOf(path);
  std::error_code ec;
  if (fs::is_directory(folder, ec)) {
    if (fs::exists(path, ec) || ::access(folder.c_str(), W_OK | X_OK) == 0) return Status::Ok();
    return IoError(
        fmt::format("cannot create state database {} in folder {} ({}); pass --state "
                    "sqlite:PATH in a folder you can write",
                    path, folder, std::strerror(errno)));
  }
  if (fs::exists(folder, ec))
    return IoError(
        fmt::format("cannot use state database {}: {} is not a folder; pass --state "
                    "sqlite:PATH with PATH in a folder",
                    path, folder));
  return NotFound(
      fmt::format("cannot use state database {}: the folder {} does not exist; create it "
                  "(mkdir -p {}) or pass --state sqlite:PATH in an existing folder",
                  path, folder, folder));
}

// Before downloading anything: the archive folder (or, when it does not exist yet, the folder it will
// be created in) must be a folder this process can write.
Status CheckArchiveFolder(const std::string& path) {
  const std::string fix = "pass --archive dir:PATH with a folder you can write";
  fs::path p(path);
  std::error_code ec;
  while (!fs::exists(p, ec) && p.has_parent_path() && p.parent_path() != p) p = p.parent_path();
  if (!fs::exists(p, ec)) p = ".";
  std::string existing = p.string();
  if (!fs::is_directory(p, ec)) {
    return IoError(existing == path ? fmt::format("archive {} is a file, not a folder; {}", path, fix)
                                    : fmt::format("cannot create archive folder {}: {} is a file; {}", path,
                                                  existing, fix));
  }
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    std::string why = std::strerror(errno);
    return IoError(
        existing == path
            ? fmt::format("cannot write to archive folder {} ({}); {}", path, why, fix)
            : fmt::format("cannot create archive folder {} in {} ({}); {}", path, existing, why, fix));
  }
  return Status::Ok();
}

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
  if (StartsWith(uri, "sqlite:")) {
    TRY(CheckStateFolder(uri.substr(7)));
    return OpenSqliteStateStore(uri.substr(7), create);
  }
  std::string table = uri.substr(9);
  if (table.empty()) table = kDefaultDynamoDbTable;  // the seed's CT_STATE_TABLE
  return OpenDynamoDbStateStore(table, http, create);  // create: on-demand table
}

std::string StateStoreName(const std::string& uri) {
  if (!StartsWith(uri, "sqlite:") || uri.size() == 7) return uri;
  std::error_code ec;
  auto abs = std::filesystem::absolute(uri.substr(7), ec);
  return ec ? uri : "sqlite:" + abs.lexically_normal().string();
}

Result<std::unique_ptr<Archive>> OpenArchive(const std::string& uri, HttpClient* http) {
  TRY(CheckArchiveUri(uri));
  if (StartsWith(uri, "dir:")) {
    TRY(CheckArchiveFolder(uri.substr(4)));
    return OpenDirArchive(uri.substr(4));
  }
  return OpenS3Archive(uri, http);
}

}  // namespace ctdl::cli
