// `ctdl-testlog serve`: serves a built log on 127.0.0.1 over RFC 6962 (at /) and static-ct-api
// (at /static/), with deterministic fault injection. Flags are documented in README.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace testlog {

struct ServeOptions {
  std::string dir;
  int port = 0;
  std::string port_file;
  std::string log_list_out;
  std::string origin;  // checkpoint origin; default "127.0.0.1:<port>/static"
  uint64_t seed = 1;
  int threads = 256;    // a kept-alive connection holds a thread: keep this above client concurrency
  uint64_t cap = 1000;  // get-entries cap per request
  bool align = false;   // Trillian-style: end of a reply aligned to the cap
  // Faults (probabilities per request).
  double p429 = 0, p5xx = 0, ptruncate = 0, pslow = 0, pshort = 0;
  double phuge = 0;         // a 200 whose body is huge_bytes long (0: endless, chunked)
  uint64_t huge_bytes = 0;
  int retry_after = 1;  // seconds
  bool retry_after_date = false;
  int slow_ms = 2000;
  int latency_ms = 0;
  std::string fault_scope = "all";  // all | data (get-entries and tiles only)
  uint64_t lag = 0;                 // get-entries with start >= size-lag answer 400 ...
  int lag_ms = 2000;                // ... during lag_ms after those entries appeared
  double grow_per_sec = 0;          // 0: full size from the start
  uint64_t initial_size = 0;        // with growth; default entries/10
  double rate = 0;                  // token bucket: requests/s (0 = off)
  double burst = 10;
  bool rate_per_client = false;     // one bucket per client address instead of one for all
  bool rate_no_retry_after = false;  // the token bucket's 429s carry no Retry-After (DigiCert-like)
  bool gzip_tiles = false;
  bool remove_partial_tiles = false;
  std::vector<uint64_t> corrupt_entries;
  bool bad_signature = false;
  uint64_t fork_after = 0;
  uint64_t mmd = 86400;
};

ctdl::Status Serve(const ServeOptions& opt);

}  // namespace testlog
