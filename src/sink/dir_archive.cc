#include "sink/dir_archive.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

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
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
      s = IoError(fmt::format("rename {} to {}: {}", tmp, path, Errno()));
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
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

 private:
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
