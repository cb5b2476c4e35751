// What happens next after an HTTP reply, decided in one place (aria2's retry-vs-abort table is the model).
//   2xx                      -> kSuccess (the caller still validates the body; a bad body is kRetry)
//   429, 503 + Retry-After   -> kRetry after max(Retry-After, backoff); counts as throttling
//   408, 425, 5xx, status 0  -> kRetry with backoff (transport errors, timeouts, truncated bodies,
//                               a reply over the body cap)
//   status 0 that retrying cannot fix: the host does not resolve, its TLS certificate is not
//   accepted, the URL is malformed or not http(s), a file:// folder lacks a file -> kFatal (the
//   error names the host or the file)
//   400 (get-entries beyond a lagging backend) -> kRetry after re-reading the tree head (kStale)
//   404                      -> kNotFound (caller decides: tile fallback, or retry then report)
//   other 4xx (401, 403...)  -> kFatal: retrying will not help; report the URL and status
#pragma once

#include <optional>
#include <random>
#include <string_view>

#include "base/clock.h"
#include "net/http_client.h"

namespace ctdl {

enum class Disposition { kSuccess, kRetry, kThrottled, kStale, kNotFound, kFatal };

struct Verdict {
  Disposition disposition;
  std::optional<Duration> retry_after;  // from the Retry-After header, when present and valid
};

Verdict Classify(const HttpResponse& response, WallTime now);
// A transport failure retrying cannot fix (DNS, TLS certificate, bad URL).
bool IsPermanent(TransportError error);

// Retry-After is either delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT",
// also RFC 850 and asctime forms). Returns nullopt when unparseable; dates in the past give zero.
std::optional<Duration> ParseRetryAfter(std::string_view value, WallTime now);

// Jittered exponential backoff ("full jitter"): uniform in [base*2^attempt/2, min(cap, base*2^attempt)].
struct Backoff {
  Duration base = std::chrono::milliseconds(250);
  Duration cap = std::chrono::seconds(60);
  Duration Delay(int attempt, std::mt19937_64& rng) const;
};

}  // namespace ctdl
