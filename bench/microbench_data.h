// Inputs of the micro-benchmarks, built once from the repository's testdata (no network, no cache):
//   - 256 real precertificate entries of a static-ct-api data tile (testdata/ct/tiles, TesseraCT);
//   - real certificates (PEM) from testdata/certs/{luct,sunlight};
//   - a 1024-entry get-entries reply made of those tile entries (leaf_input = MerkleTreeLeaf,
//     extra_data = PrecertChainEntry with one real chain certificate), as a real log would send it.
// Not thread-safe to build; read-only afterwards.
#pragma once

#include <string>
#include <vector>

#include "ct/log_entry.h"

namespace ctdl::bench {

struct Data {
  std::string tile_gz;                // the data tile as stored (gzip)
  std::string tile;                   // inflated TileLeafs (256 entries, leaf_index 1024..1279)
  std::vector<LogEntry> tile_entries; // decoded tile entries (cert = pre_certificate DER)
  std::vector<std::string> pem_certs; // DER of real certificates from PEM files
  std::string get_entries_json;       // {"entries":[...]} with kJsonEntries entries
  std::vector<std::string> leaf_b64;  // base64 leaf_input of each JSON entry
  std::string ndjson;                 // records of the 256 distinct entries, one line each
  uint64_t ndjson_records = 0;
};

inline constexpr int kJsonEntries = 1024;

// Loads everything; aborts with a message when testdata is missing (a benchmark setup error).
const Data& GetData();

}  // namespace ctdl::bench
