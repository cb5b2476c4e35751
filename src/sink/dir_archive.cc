#include "sink/dir_archive.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>

#include "sink/archive_key.h"

namespace ctdl {
namespace {

std::string Errno() { return std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return IoError(fmt::format("open folder {}: {}", dir, Errno()));
  if (::fsync(fd.get()) != 0) return IoError(fmt::format("fsync folder {}: {}", dir, Errno()));
  return Status::Ok();
}

std::string Parent(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p; fsyncs the parent of every folder it creates so the new entry is durable.
Status MakeDirs(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError(fmt::format("{} exists and is not a folder", dir));
  }
  std::string parent = Parent(dir);
  if (parent != dir) TRY(MakeDirs(parent));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return IoError(fmt::format("create folder {}: {}", dir, Errno()));
  return FsyncDir(parent);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(fmt::format("write {}: {}", path, Errno()));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// The pid in a temp file name ".<name>.tmp-<pid>-<n>" (Put's pattern), or nullopt for any other name.
std::optional<pid_t> TempFilePid(std::string_view name) {
  auto t = name.rfind(".tmp-");
  if (name.size() < 2 || name[0] != '.' || t == std::string_view::npos || t < 2) return std::nullopt;
  std::string_view rest = name.substr(t + 5);
  auto dash = rest.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash + 1 == rest.size()) return std::nullopt;
  long long pid = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i == dash) continue;
    if (rest[i] < '0' || rest[i] > '9') return std::nullopt;
    if (i < dash) {
      pid = pid * 10 + (rest[i] - '0');
      if (pid > 1 << 30) return std::nullopt;
    }
  }
  if (pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// "a/b///" -> "a/b"; "/" stays; "" -> ".".
std::string NormalizeRoot(std::string_view r) {
  while (r.size() > 1 && r.back() == '/') r.remove_suffix(1);
  return r.empty() ? std::string(".") : std::string(r);
}

class DirArchive : public Archive {
 public:
  explicit DirArchive(std::string_view root) : root_(NormalizeRoot(root)) {}

  Status Put(const std::string& key, std::string_view data) override {
    TRY(ValidateArchiveKey(key));
    std::string path = root_ + "/" + key;
    std::string dir = Parent(path);
    TRY(MakeDirs(dir));
    std::string base = path.substr(dir.size() + 1);
    std::string tmp = fmt::format("{}/.{}.tmp-{}-{}", dir, base, ::getpid(), counter_.fetch_add(1));
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) return IoError(fmt::format("create {}: {}", tmp, Errno()));
    Status s = WriteAll(fd.get(), data, tmp);
    if (s.ok() && ::fsync(fd.get()) != 0) s = IoError(fmt::format("fsync {}: {}", tmp, Errno()));
    if (s.ok() && ::close(fd.Release()) != 0) s = IoError(fmt::format("close {}: {}", tmp, Errno()));
    if (s.ok()) s = PlaceExclusive(tmp, path, data);
    ::unlink(tmp.c_str());
    TRY(s);
    return FsyncDir(dir);
  }

  Result<std::string> Get(const std::string& key) override {
    TRY(ValidateArchiveKey(key));
    std::string path = root_ + "/" + key;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return NotFound(fmt::format("no object {}", path));
      return IoError(fmt::format("open {}: {}", path, Errno()));
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return IoError(fmt::format("stat {}: {}", path, Errno()));
    if (!S_ISREG(st.st_mode)) return NotFound(fmt::format("{} is not a file", path));
    std::string out;
    out.reserve(static_cast<size_t>(st.st_size));
    char buf[1 << 16];
    while (true) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError(fmt::format("read {}: {}", path, Errno()));
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    TRY(ValidateArchivePrefix(prefix));
    // Walk only the folder the prefix points into.
    auto slash = prefix.rfind('/');
    std::string rel = slash == std::string::npos ? "" : prefix.substr(0, slash);
    std::vector<ObjectInfo> out;
    TRY(Walk(rel, prefix, &out));
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(const std::string& key) override {
    TRY(ValidateArchiveKey(key));
    std::string path = root_ + "/" + key;
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return IoError(fmt::format("delete {}: {}", path, Errno()));
    }
    return FsyncDir(Parent(path));
  }

  std::string Describe() const override { return "dir:" + root_; }

  // Temp files ".<name>.tmp-<pid>-<n>" in the folder of `prefix` whose pid does not run on this
  // machine any more (a crash or kill -9 left them). Nothing else is touched.
  Result<int> RemoveStaleTempFiles(const std::string& prefix) override {
    TRY(ValidateArchivePrefix(prefix));
    auto slash = prefix.rfind('/');
    std::string dir = slash == std::string::npos ? root_ : root_ + "/" + prefix.substr(0, slash);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return 0;
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
    int removed = 0;
    while (dirent* e = ::readdir(d)) {
      auto pid = TempFilePid(e->d_name);
      if (!pid || *pid == ::getpid() || ::kill(*pid, 0) == 0 || errno != ESRCH) continue;
      std::string path = dir + "/" + e->d_name;
      if (::unlink(path.c_str()) == 0) ++removed;
    }
    return removed;
  }

 private:
  // Gives the durable temp file its final name without ever replacing an existing file: link(2)
  // (atomic, fails with EEXIST), or renameat2(RENAME_NOREPLACE) where hard links are not supported.
  // An existing file with the same bytes is ok (idempotent Put); other bytes are kConflict.
  Status PlaceExclusive(const std::string& tmp, const std::string& path, std::string_view data) {
    int rc = ::link(tmp.c_str(), path.c_str());
    if (rc != 0 && (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EXDEV))
      rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    if (rc == 0) return Status::Ok();
    if (errno != EEXIST) return IoError(fmt::format("link {} to {}: {}", tmp, path, Errno()));
    auto existing = Get(path.substr(root_.size() + 1));
    if (!existing.ok()) return existing.status();
    if (*existing != data) return ExistsDifferent(path);
    return Status::Ok();
  }

  // Adds files under root_/rel whose key starts with prefix.
  Status Walk(const std::string& rel, const std::string& prefix, std::vector<ObjectInfo>* out) {
    std::string dir = rel.empty() ? root_ : root_ + "/" + rel;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return IoError(fmt::format("list folder {}: {}", dir, Errno()));
    }
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
    std::vector<std::string> subdirs;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.empty() || name[0] == '.') continue;  // ".", "..", temp files
      std::string key = rel.empty() ? name : rel + "/" + name;
      // Prune: only descend where the prefix can still match.
      size_t n = std::min(key.size(), prefix.size());
      if (key.compare(0, n, prefix, 0, n) != 0) continue;
      struct stat st;
      std::string path = dir + "/" + name;
      if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // deleted meanwhile
        return IoError(fmt::format("stat {}: {}", path, Errno()));
      }
      if (S_ISDIR(st.st_mode)) {
        subdirs.push_back(key);
      } else if (S_ISREG(st.st_mode) && key.size() >= prefix.size()) {
        out->push_back({key, static_cast<uint64_t>(st.st_size)});
      }
    }
    closer.reset();
    for (const auto& s : subdirs) TRY(Walk(s, prefix, out));
    return Status::Ok();
  }

  std::string root_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

std::unique_ptr<Archive> OpenDirArchive(std::string path) {
  return std::make_unique<DirArchive>(std::move(path));
}

}  // namespace ctdl
