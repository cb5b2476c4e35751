#include "net/retry.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace ctdl {

std::optional<Duration> ParseRetryAfter(std::string_view v, WallTime now) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t secs = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (ec != std::errc() || secs > 86400 * 7) return std::nullopt;
    return std::chrono::seconds(secs);
  }
  std::string s(v);
  static const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                   "%a %b %e %H:%M:%S %Y"};
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), f, &tm);
    if (end && *end == '\0') {
      auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
      if (at <= now) return Duration::zero();
      return std::chrono::duration_cast<Duration>(at - now);
    }
  }
  return std::nullopt;
}

bool IsPermanent(TransportError e) {
  return e == TransportError::kResolve || e == TransportError::kCertificate ||
         e == TransportError::kBadUrl || e == TransportError::kNoSuchFile;
}

Verdict Classify(const HttpResponse& r, WallTime now) {
  std::optional<Duration> after;
  if (const std::string* h = r.Header("retry-after")) after = ParseRetryAfter(*h, now);
  int s = r.status;
  if (s == 0 && IsPermanent(r.transport)) return {Disposition::kFatal, std::nullopt};
  if (s >= 200 && s < 300) return {Disposition::kSuccess, std::nullopt};
  if (s == 429 || (s == 503 && after)) return {Disposition::kThrottled, after};
  if (s == 0 || s == 408 || s == 425 || s >= 500) return {Disposition::kRetry, after};
  if (s == 400) return {Disposition::kStale, after};
  if (s == 404) return {Disposition::kNotFound, after};
  return {Disposition::kFatal, std::nullopt};
}

Duration Backoff::Delay(int attempt, std::mt19937_64& rng) const {
  attempt = std::clamp(attempt, 0, 30);
  double top = std::min<double>(static_cast<double>(cap.count()),
                                static_cast<double>(base.count()) * double(1ULL << attempt));
  std::uniform_real_distribution<double> d(top / 2, top);
  return Duration(static_cast<int64_t>(d(rng)));
}

}  // namespace ctdl
