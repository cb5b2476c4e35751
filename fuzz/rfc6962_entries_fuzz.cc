// libFuzzer target for the RFC 6962 get-entries decoder (ct/rfc6962_entries.h).
// Input byte 0 picks the mode: even = a whole get-entries JSON reply; odd = binary leaf_input and
// extra_data (split at byte 1). Invariants: never crash, at most max_entries entries, consecutive
// indexes, a decoded entry without error always has a certificate and a leaf hash.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ct/merkle.h"
#include "ct/rfc6962_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (data[0] % 2 == 0) {
    static ctdl::GetEntriesDecoder decoder;
    std::vector<ctdl::LogEntry> out;
    uint64_t max = data[1] % 8 + 1;
    uint64_t surplus = 0;
    if (decoder.Decode(in, 1000, max, &out, &surplus).ok()) {
      if (out.size() > max) abort();
      for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].index != 1000 + i) abort();
        if (out[i].error.empty() && (out[i].cert.empty() || !out[i].has_leaf_hash)) abort();
      }
    } else if (!out.empty()) {
      abort();
    }
  } else {
    size_t split = std::min<size_t>(in.size(), data[1] * 4u);
    ctdl::LogEntry e;
    ctdl::DecodeRfc6962Leaf(in.substr(0, split), in.substr(split), &e);
    if (!e.has_leaf_hash || e.leaf_hash != ctdl::HashLeaf(in.substr(0, split))) abort();
    if (e.error.empty() && e.cert.empty()) abort();
  }
  return 0;
}
