// `ctdl-testlog build`: generates a log into a directory (format: README.md in this folder).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace testlog {

struct BuildOptions {
  std::string out;
  uint64_t entries = 1000;
  std::string certs;  // optional folder of real certificates (PEM/DER), recursive
  uint64_t seed = 1;
  double precert_ratio = 0.5;
  uint64_t base_timestamp = 1700000000000;  // ms; entry i gets base + i
  // Share of generated precerts whose final certificate (same TBS, embedded SCT list instead of the
  // poison) is the next entry. 0 keeps logs of earlier versions byte-identical.
  double final_ratio = 0;
  bool leaf_index_ext = false;              // static-ct-api leaf_index extension in every TimestampedEntry
};

ctdl::Status Build(const BuildOptions& opt);

}  // namespace testlog
