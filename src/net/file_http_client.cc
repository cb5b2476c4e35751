#include "net/file_http_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "base/buffer_pool.h"

namespace ctdl {

bool IsFileUrl(std::string_view url) { return url.starts_with("file://"); }

namespace {

constexpr std::string_view kScheme = "file://";

HttpResponse Failed(TransportError kind, std::string error) {
  HttpResponse r;
  r.transport = kind;
  r.error = std::move(error);
  return r;
}

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The absolute path of a file:// URL, %XX decoded; nullopt for a host, a query or fragment, an escaped
// '/' or NUL, bad escapes, or "." / ".." segments.
std::optional<std::string> PathOf(std::string_view url) {
  url.remove_prefix(kScheme.size());
  if (url.starts_with("localhost/")) url.remove_prefix(std::string_view("localhost").size());
  if (!url.starts_with('/') || url.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  std::string path;
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '%') {
      path.push_back(url[i]);
      continue;
    }
    int hi = i + 2 < url.size() ? HexValue(url[i + 1]) : -1, lo = hi >= 0 ? HexValue(url[i + 2]) : -1;
    if (lo < 0 || (hi == 0 && lo == 0) || (hi == 2 && (lo == 0xf))) return std::nullopt;
    path.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  for (size_t start = 0; start < path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view seg(path.data() + start, end - start);
    if (seg == "." || seg == "..") return std::nullopt;
    start = end + 1;
  }
  return path;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// "x001/x234/067" (tlog path), optionally followed by ".p/<W>".
bool TilePathShape(std::string_view s) {
  if (size_t p = s.find(".p/"); p != std::string_view::npos) {
    if (!AllDigits(s.substr(p + 3))) return false;
    s = s.substr(0, p);
  }
  for (;;) {
    size_t slash = s.find('/');
    std::string_view part = s.substr(0, slash);
    if (slash == std::string_view::npos) return part.size() == 3 && AllDigits(part);
    if (part.size() != 4 || part[0] != 'x' || !AllDigits(part.substr(1))) return false;
    s.remove_prefix(slash + 1);
  }
}

// True for the paths a static-ct-api log serves, relative to its root.
bool StaticCtPath(std::string_view rest) {
  if (rest == "checkpoint") return true;
  if (rest.starts_with("issuer/")) {
    std::string_view hex = rest.substr(7);
    if (hex.empty()) return false;
    for (char c : hex)
      if (HexValue(c) < 0) return false;
    return true;
  }
  if (!rest.starts_with("tile/")) return false;
  rest.remove_prefix(5);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view kind = rest.substr(0, slash);
  return (kind == "data" || (AllDigits(kind) && kind.size() <= 2)) &&
         TilePathShape(rest.substr(slash + 1));
}

// Splits an absolute path into the log root and the static-ct-api path below it.
std::optional<std::pair<std::string, std::string>> SplitRoot(const std::string& path) {
  size_t cut = std::string::npos;
  if (path.ends_with("/checkpoint")) {
    cut = path.size() - std::string_view("/checkpoint").size();
  } else {
    size_t tile = path.rfind("/tile/"), issuer = path.rfind("/issuer/");
    if (tile != std::string::npos) cut = tile;
    if (issuer != std::string::npos && (cut == std::string::npos || issuer > cut)) cut = issuer;
  }
  if (cut == std::string::npos) return std::nullopt;
  std::string rest = path.substr(cut + 1);
  if (!StaticCtPath(rest)) return std::nullopt;
  return std::make_pair(cut == 0 ? std::string("/") : path.substr(0, cut), rest);
}

// open(2) of `rest` beneath the directory `root`/`root_fd`: no "..", no symlink out (EXDEV).
int OpenBeneath(const std::string& root, int root_fd, const std::string& rest) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, rest.c_str(), &how, sizeof how));
  if (fd >= 0 || errno != ENOSYS) return fd;
  // Kernels before 5.6: resolve both, then open the resolved path itself.
  char real_root[PATH_MAX], real_file[PATH_MAX];
  if (!::realpath(root.c_str(), real_root)) return -1;
  if (!::realpath((root + "/" + rest).c_str(), real_file)) return -1;
  std::string_view base(real_root), file(real_file);
  if (!file.starts_with(base) || (base != "/" && file.size() > base.size() && file[base.size()] != '/')) {
    errno = EXDEV;
    return -1;
  }
  return ::open(real_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class FileHttpClient : public HttpClient {
 public:
  explicit FileHttpClient(size_t max_body_bytes) : max_body_(max_body_bytes) {}

  HttpResponse Fetch(const HttpRequest& request) override {
    auto t0 = std::chrono::steady_clock::now();
    HttpResponse r = Serve(request);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

 private:
  HttpResponse Serve(const HttpRequest& request) const {
    const std::string& url = request.url;
    if (request.method != "GET" && request.method != "HEAD")
      return Failed(TransportError::kBadUrl, url + ": file:// URLs can only be read (GET)");
    std::optional<std::string> path = IsFileUrl(url) ? PathOf(url) : std::nullopt;
    if (!path)
      return Failed(TransportError::kBadUrl,
                    url + ": not a usable file:// URL (file:///absolute/path, no host, no '.' or "
                          "'..' segments)");
    auto split = SplitRoot(*path);
    if (!split)
      return Failed(TransportError::kBadUrl,
                    url + ": a file:// log is read as a static-ct-api folder (checkpoint, tile/..., "
                          "issuer/...); this path is none of those");
    const auto& [root, rest] = *split;
    Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) {
      int e = errno;
      if (e == ENOENT || e == ENOTDIR) return Missing(url, rest, "no log folder " + root);
      return Opened(e, url, fmt::format("log folder {}: {}", root, std::strerror(e)));
    }
    Fd fd(OpenBeneath(root, dir.get(), rest));
    if (fd.get() < 0) {
      int e = errno;
      if (e == EXDEV || e == ELOOP)
        return Failed(TransportError::kBadUrl,
                      fmt::format("{}: {} leads outside the log folder {} (symlink or '..'); not read",
                                  url, rest, root));
      if (e == ENOENT || e == ENOTDIR) return Missing(url, rest, "no such file in the log folder " + root);
      return Opened(e, url, std::strerror(e));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Failed(TransportError::kOther, url + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return Missing(url, rest, "not a regular file");
    if (static_cast<uint64_t>(st.st_size) > max_body_)
      return Failed(TransportError::kTooLarge,
                    fmt::format("{}: file of {} bytes is larger than the {} byte limit", url,
                                st.st_size, max_body_));
    HttpResponse r = Reply(200, "");
    r.headers.emplace_back("content-length", std::to_string(st.st_size));
    if (request.method == "HEAD") return r;
    return ReadAll(fd.get(), static_cast<size_t>(st.st_size), url, std::move(r));
  }

  // The body, at most max_body_ bytes even if the file grows while it is read.
  // Big files (data tiles) are read into a reused buffer (BufferPool::Replies(): no fresh pages per
  // tile; the decoders hand it back).
  HttpResponse ReadAll(int fd, size_t expected, const std::string& url, HttpResponse r) const {
    if (expected >= 256 * 1024) r.body = BufferPool::Replies().Get(expected + 1);
    r.body.resize(expected + 1);
    size_t got = 0;
    for (;;) {
      if (got == r.body.size()) {
        if (r.body.size() > max_body_)
          return Failed(TransportError::kTooLarge,
                        fmt::format("{}: file grew past the {} byte limit while read", url, max_body_));
        r.body.resize(std::min(r.body.size() * 2, max_body_ + 1));
      }
      ssize_t n = ::read(fd, r.body.data() + got, r.body.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failed(TransportError::kOther, url + ": read: " + std::strerror(errno));
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    r.body.resize(got);
    return r;
  }

  // A file that is not there: 404 for a partial tile (the caller falls back to the full tile), else
  // a permanent error (waiting does not fill a folder in).
  static HttpResponse Missing(const std::string& url, const std::string& rest, const std::string& what) {
    if (rest.find(".p/") != std::string::npos) return Reply(404, what + "\n");
    return Failed(TransportError::kNoSuchFile, url + ": " + what + " (the folder is incomplete)");
  }

  static HttpResponse Opened(int e, const std::string& url, const std::string& what) {
    if (e == EACCES || e == EPERM) return Reply(403, what + "\n");
    return Failed(TransportError::kOther, url + ": " + what);
  }

  const size_t max_body_;
};

class RoutingHttpClient : public HttpClient {
 public:
  RoutingHttpClient(std::unique_ptr<HttpClient> files, std::unique_ptr<HttpClient> network)
      : files_(std::move(files)), network_(std::move(network)) {}
  HttpResponse Fetch(const HttpRequest& request) override { return For(request.url).Fetch(request); }
  void FetchAsync(HttpRequest request, FetchDone done) override {
    HttpClient& c = For(request.url);
    c.FetchAsync(std::move(request), std::move(done));
  }
  HttpStats Stats() const override { return network_->Stats(); }  // files open no connections

 private:
  HttpClient& For(std::string_view url) { return IsFileUrl(url) ? *files_ : *network_; }
  std::unique_ptr<HttpClient> files_;
  std::unique_ptr<HttpClient> network_;
};

}  // namespace

std::unique_ptr<HttpClient> NewFileHttpClient(size_t max_body_bytes) {
  return std::make_unique<FileHttpClient>(max_body_bytes);
}

std::unique_ptr<HttpClient> NewRoutingHttpClient(std::unique_ptr<HttpClient> files,
                                                 std::unique_ptr<HttpClient> network) {
  return std::make_unique<RoutingHttpClient>(std::move(files), std::move(network));
}

std::unique_ptr<HttpClient> NewHttpClient(const CurlOptions& options) {
  return NewRoutingHttpClient(NewFileHttpClient(options.max_body_bytes), NewCurlHttpClient(options));
}

}  // namespace ctdl
