// Request planning for RFC 6962 logs: URLs, and discovering + aligning to a log's get-entries cap.
//
// Real logs cap get-entries differently (Google 32, DigiCert 64/256, Sectigo and Let's Encrypt 256
// aligned, Cloudflare 1024, Trillian 1000) and some answer only up to the next multiple of the cap.
// CapDiscovery watches replies: while the cap is unknown the scheduler sends one probe at a time of
// kProbeEntries; a short reply whose end is a multiple of its length (or two short replies of the same
// length, or the 4th short probe) fixes the cap. Later requests end on multiples of the cap, so full
// requests match the log's own pages (and its caches).
// Thread safety: pure functions; CapDiscovery is a plain value (the caller locks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ctdl {

// "https://host/path" -> "https://host/path/" (state keys always end with '/').
std::string NormalizeLogUrl(std::string_view url);
// Scheme + host[:port] of a URL ("https://ct.example:8443"), for per-host rate limits.
std::string UrlHost(std::string_view url);
std::string GetSthUrl(std::string_view log_url);
// [start, end) as get-entries' inclusive start/end parameters. end > start.
std::string GetEntriesUrl(std::string_view log_url, uint64_t start, uint64_t end);

class CapDiscovery {
 public:
  static constexpr uint64_t kProbeEntries = 1024;
  bool known() const { return cap_ != 0; }
  uint64_t cap() const { return cap_; }
  // Entries to ask for next (the cap, or the probe size while unknown).
  uint64_t RequestSize() const { return cap_ ? cap_ : kProbeEntries; }
  // A reply to [start, start+asked) brought `got` entries.
  void Observe(uint64_t start, uint64_t asked, uint64_t got);
  // Sets the cap (tests, or a caller that knows it).
  void Set(uint64_t cap) { cap_ = cap; }

 private:
  uint64_t cap_ = 0;
  uint64_t last_short_ = 0;
  int short_probes_ = 0;
};

// End (exclusive) of the next request from `start` toward `limit`: at most `size` entries, ending on a
// multiple of `size` when that comes first (alignment), never past `limit`.
uint64_t AlignedRequestEnd(uint64_t start, uint64_t limit, uint64_t size);

}  // namespace ctdl
