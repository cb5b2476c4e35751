#include "ct/log_url.h"

#include <fmt/format.h>

#include <charconv>

namespace ctdl {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

Status Bad(std::string_view url, std::string_view why) {
  return InvalidArgument(fmt::format("log URL \"{}\" is not usable: {}", PrintableUrl(url), why));
}

// One trailing '/', no doubled '/'.
std::string WithOneSlash(std::string p) {
  while (p.size() > 1 && p.back() == '/' && p[p.size() - 2] == '/') p.pop_back();
  if (p.back() != '/') p.push_back('/');
  return p;
}

// "file:///abs/folder" or "file://localhost/abs/folder" -> "file:///abs/folder/" (doc/sources.md).
Result<std::string> CanonicalFileUrl(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  if (rest.starts_with("localhost/")) rest.remove_prefix(std::string_view("localhost").size());
  if (!rest.starts_with('/'))
    return Bad(url, "a file:// log names an absolute folder (file:///path/to/folder/), no host");
  if (rest.find_first_of("?#") != std::string_view::npos) return Bad(url, "a log URL has no query or fragment");
  for (size_t start = 0; start <= rest.size();) {
    size_t end = std::min(rest.find('/', start), rest.size());
    std::string_view seg = rest.substr(start, end - start);
    if (seg == "." || seg == "..") return Bad(url, "a file:// log folder has no '.' or '..' in its path");
    start = end + 1;
  }
  return "file://" + WithOneSlash(std::string(rest));
}

Result<std::string> Canonical(std::string_view url, bool allow_file);

}  // namespace

std::string PrintableUrl(std::string_view text, size_t max_bytes) {
  std::string s(text.substr(0, std::min(text.size(), max_bytes)));
  // Hide a password: "scheme://user:pass@host" -> "scheme://***@host".
  if (auto scheme = s.find("://"); scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = s.find_first_of("/?#", start);
    size_t at = s.rfind('@', end == std::string::npos ? s.size() : end);
    if (at != std::string::npos && at >= start) s.replace(start, at - start, "***");
  }
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

Result<std::string> CanonicalLogUrl(std::string_view url) { return Canonical(url, false); }

Result<std::string> CanonicalTiledLogUrl(std::string_view url) { return Canonical(url, true); }

namespace {

Result<std::string> Canonical(std::string_view url, bool allow_file) {
  if (url.size() > 2000) return Bad(url, "longer than 2000 bytes");
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Bad(url, "it contains a control character, space or non-ASCII byte");
  }
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return Bad(url, "it has no scheme (want https://...)");
  std::string scheme;
  for (char c : url.substr(0, colon)) scheme += Lower(c);
  if (scheme == "file" && allow_file) return CanonicalFileUrl(url);
  if (scheme != "http" && scheme != "https")
    return Bad(url, allow_file ? "only http://, https:// and file:// logs are supported"
                               : "only http:// and https:// logs are supported (file:// only for tiled logs)");
  std::string_view rest = url.substr(colon + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return Bad(url, "it carries user credentials (user:password@); ctdl does not send them");
  if (path.find_first_of("?#") != std::string_view::npos ||
      authority.find_first_of("?#") != std::string_view::npos)
    return Bad(url, "a log URL has no query or fragment");
  std::string host;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(url, "unterminated [IPv6] host");
    for (char c : authority.substr(0, close + 1)) host += Lower(c);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad(url, "bad text after the [IPv6] host");
      port = after.substr(1);
    }
  } else {
    size_t pc = authority.rfind(':');
    for (char c : authority.substr(0, pc)) host += Lower(c);
    if (pc != std::string_view::npos) port = authority.substr(pc + 1);
  }
  if (host.empty() || host == "[]") return Bad(url, "it has no host");
  std::string port_part;
  if (!port.empty() || authority.ends_with(":")) {
    unsigned n = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || n == 0 || n > 65535)
      return Bad(url, "its port is not a number from 1 to 65535");
    bool dflt = (scheme == "http" && n == 80) || (scheme == "https" && n == 443);
    if (!dflt) port_part = ":" + std::to_string(n);
  }
  return scheme + "://" + host + port_part + WithOneSlash(std::string(path));
}

}  // namespace

std::string MetadataHostWarning(std::string_view canonical_url) {
  size_t start = canonical_url.find("://");
  if (start == std::string_view::npos) return "";
  std::string_view rest = canonical_url.substr(start + 3);
  std::string_view host = rest.substr(0, rest.find('/'));
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  bool link_local = host.starts_with("169.254.") || host.starts_with("fe8") || host.starts_with("fe9") ||
                    host.starts_with("fea") || host.starts_with("feb") || host == "fd00:ec2::254" ||
                    host == "metadata.google.internal" || host == "metadata";
  if (!link_local) return "";
  return fmt::format(
      "log URL {} points at a link-local or cloud metadata address; a log list should never name "
      "one (requests there can reach this machine's cloud credentials)",
      PrintableUrl(canonical_url));
}

}  // namespace ctdl
