// One core's work per tile entry, everything ctdl does to an entry of a static-ct-api data tile except
// receiving it (socket, HTTP) and writing the archive: the tile's framing and leaf hash, the record,
// the gzip piece (decode pool: DecodeDataTile into EntrySlots, 16 entries a window, BatchBuilder), and
// the leaf hash appended to the compact range (committer). bench/analysis.md uses it as the floor of
// "within 4x of curl's raw transfer" for tiles: at curl's rate R on 2 cores, ctdl plus the test server
// must spend at most 2 / (R / 4) s per entry.
#include <benchmark/benchmark.h>

#include <span>
#include <vector>

#include "ct/merkle.h"
#include "ct/tile_leaf.h"
#include "microbench_data.h"
#include "sink/segment.h"
#include "sync/batch.h"

namespace ctdl::bench {
namespace {

void BM_TileToBatch(benchmark::State& state) {
  const Data& d = GetData();
  DataTileSpec spec;
  spec.tile = 4;  // the corpus tile holds leaf_index 1024..1279
  std::vector<LogEntry> slots;  // reused from tile to tile, as in the decode pool
  PiecePlan plan;
  plan.target = uint64_t{1} << 40;  // the tree ends far beyond the tile
  RecordContext context;
  context.pieces = &plan;
  uint64_t records = 0;
  for (auto _ : state) {
    BatchBuilder builder(1024, context);
    EntrySlots entries(&slots, 0);
    entries.SetWindow(
        16,
        [](void* arg, const LogEntry* e, size_t n) {
          static_cast<BatchBuilder*>(arg)->Add(std::span<const LogEntry>(e, n));
        },
        &builder);
    Status s = DecodeDataTile(d.tile, spec, &entries);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    entries.Flush();
    Batch b = builder.Finish();
    CompactRange range;
    for (const LogEntry& e : std::span<const LogEntry>(slots.data(), entries.size())) range.Append(e.leaf_hash);
    records += b.count;
    benchmark::DoNotOptimize(range);
    benchmark::DoNotOptimize(b);
  }
  if (records != static_cast<uint64_t>(state.iterations()) * 256) state.SkipWithError("records missing");
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetBytesProcessed(state.iterations() * d.tile.size());
}
BENCHMARK(BM_TileToBatch);

}  // namespace
}  // namespace ctdl::bench
