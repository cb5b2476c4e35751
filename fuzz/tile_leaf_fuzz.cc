// libFuzzer target for the static-ct-api tile code (src/ct/tile_*): data tile decoding (identity and
// gzip), TileLeaf framing, tile path parsing and the tile plan. Bytes from a log must never crash us, and
// the plan's invariants must hold for any (position, size).
//
// Input layout: byte 0 selects the mode; the rest is the payload.
// Build: cmake -DCTDL_FUZZ=ON with clang; or by hand:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/tile_leaf_fuzz.cc \
//     src/ct/tile_*.cc src/ct/merkle.cc src/base/{bytes,status}.cc -lcrypto -lz   (minus *_test.cc)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ct/tile_gzip.h"
#include "ct/tile_leaf.h"
#include "ct/tile_path.h"
#include "ct/tile_plan.h"

namespace {

uint64_t Take64(std::string_view* in) {
  uint64_t v = 0;
  size_t n = std::min<size_t>(8, in->size());
  std::memcpy(&v, in->data(), n);
  in->remove_prefix(n);
  return v;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void FuzzDataTile(std::string_view in) {
  uint64_t head = Take64(&in);
  ctdl::DataTileSpec spec;
  spec.tile = (head >> 24) & 0xffffff;
  spec.width = static_cast<uint16_t>((head & 0xff) + 1);
  spec.begin = static_cast<uint16_t>(((head >> 8) & 0xff) % (spec.width + 1));
  spec.end = static_cast<uint16_t>(spec.begin + ((head >> 16) & 0xff) % (spec.width - spec.begin + 1));
  std::vector<ctdl::LogEntry> out;
  ctdl::Status s = ctdl::DecodeDataTile(in, spec, &out, 1 << 20);
  if (s.ok()) {
    Check(out.size() == static_cast<size_t>(spec.end - spec.begin));
    for (size_t i = 0; i < out.size(); ++i) {
      Check(out[i].index == spec.tile * 256 + spec.begin + i);
      Check(out[i].has_leaf_hash && out[i].error.empty() && !out[i].cert.empty());
    }
  } else {
    Check(out.empty());
  }
}

void FuzzLeaves(std::string_view in) {
  // Re-encoding a decoded leaf must give back exactly the bytes it was read from.
  std::string_view rest = in;
  ctdl::TileLeafView v;
  while (!rest.empty()) {
    std::string_view before = rest;
    if (!ctdl::ReadTileLeaf(&rest, &v).ok()) {
      Check(rest.data() == before.data() && rest.size() == before.size());
      break;
    }
    std::string enc;
    Check(ctdl::AppendTileLeaf(v, &enc).ok());
    Check(enc == before.substr(0, before.size() - rest.size()));
    Check(enc.compare(0, v.timestamped_entry.size(), v.timestamped_entry) == 0);
    (void)ctdl::TileLeafHash(v);
  }
}

void FuzzGzip(std::string_view in) {
  std::string out;
  ctdl::Status s = ctdl::GunzipTile(in, &out, 1 << 20);
  Check(s.ok() ? out.size() <= (1 << 20) : out.empty());
}

void FuzzPath(std::string_view in) {
  auto ref = ctdl::ParseTilePath(in);
  if (ref.ok()) Check(ctdl::TilePath(*ref) == in);
}

void FuzzPlan(std::string_view in) {
  uint64_t a = Take64(&in), b = Take64(&in), k = Take64(&in);
  uint64_t p = std::min(a, b), n = std::max(a, b);
  auto plan = ctdl::TilePlan::Make(p, n);
  Check(plan.ok());
  if (plan->empty()) {
    Check(p == n);
    return;
  }
  // Spot-check a few fetches: contiguous, within one tile, only the last partial.
  uint64_t count = plan->size();
  for (uint64_t i : {uint64_t{0}, k % count, count - 1}) {
    ctdl::TileFetch f = plan->at(i);
    Check(f.begin < f.end && f.end == f.width && f.width >= 1 && f.width <= 256);
    Check(i == 0 ? f.first_index() == p : f.begin == 0);
    Check(i + 1 == count ? f.end_index() == n : f.width == 256);
    if (i + 1 < count) Check(plan->at(i + 1).first_index() == f.end_index());
    ctdl::TileFetch full = ctdl::FullTileFallback(f);
    Check(full.width == 256 && full.first_index() == f.first_index() && full.end_index() == f.end_index());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      FuzzDataTile(in);
      break;
    case 1:
      FuzzLeaves(in);
      break;
    case 2:
      FuzzGzip(in);
      break;
    case 3:
      FuzzPath(in);
      break;
    case 4:
      FuzzPlan(in);
      break;
  }
  return 0;
}
