#include "ct/rfc6962_requests.h"

#include <fmt/format.h>

#include <algorithm>

namespace ctdl {

std::string NormalizeLogUrl(std::string_view url) {
  std::string u(url);
  if (u.empty() || u.back() != '/') u.push_back('/');
  return u;
}

std::string UrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t slash = url.find('/', start);
  return std::string(url.substr(0, slash));
}

std::string GetSthUrl(std::string_view log_url) { return NormalizeLogUrl(log_url) + "ct/v1/get-sth"; }

std::string GetEntriesUrl(std::string_view log_url, uint64_t start, uint64_t end) {
  return fmt::format("{}ct/v1/get-entries?start={}&end={}", NormalizeLogUrl(log_url), start, end - 1);
}

void CapDiscovery::Observe(uint64_t start, uint64_t asked, uint64_t got) {
  if (cap_ || got == 0) return;
  if (got >= asked) {
    if (asked == kProbeEntries) cap_ = asked;  // the log gives at least a full probe
    return;
  }
  if ((start + got) % got == 0 || got == last_short_ || ++short_probes_ >= 4) {
    cap_ = std::max(got, last_short_);
    return;
  }
  last_short_ = std::max(last_short_, got);
}

uint64_t AlignedRequestEnd(uint64_t start, uint64_t limit, uint64_t size) {
  if (size == 0) size = 1;
  uint64_t boundary = (start / size + 1) * size;
  return std::min(limit, boundary);
}

}  // namespace ctdl
