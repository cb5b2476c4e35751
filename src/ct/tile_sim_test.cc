// The tile building blocks together, the way the download pipeline will use them: a synthetic tiled log
// served from a map of paths, downloaded in several resumed runs with TilePlan + DecodeDataTile, with
// partial tiles that disappear (404 -> FullTileFallback). Every index must come out exactly once and the
// RFC 6962 root over the decoded leaf hashes must equal the root over hashes computed independently.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "ct/merkle.h"
#include "ct/tile_leaf.h"
#include "ct/tile_plan.h"

namespace ctdl {
namespace {

struct SimLog {
  std::vector<std::string> leaves;           // encoded TileLeaf of each index
  std::vector<Hash256> leaf_hashes;          // computed from the MerkleTreeLeaf built here
  std::map<std::string, std::string> files;  // path -> body, as a static-ct-api log would publish

  void Grow(uint64_t new_size) {
    while (leaves.size() < new_size) {
      uint64_t i = leaves.size();
      std::string cert = "cert-" + std::to_string(i);
      std::string ext = LeafIndexExtension(i);
      TileLeafView v;
      v.timestamp = 1750000000000 + i;
      v.type = EntryType::kX509;
      v.certificate = cert;
      v.extensions = ext;
      std::string enc;
      EXPECT_TRUE(AppendTileLeaf(v, &enc).ok());
      leaves.push_back(enc);
      // MerkleTreeLeaf = 0x00 0x00 || TimestampedEntry; for an x509 leaf without chain the TileLeaf is
      // TimestampedEntry || 0x0000 (empty fingerprint list).
      EXPECT_EQ(enc.substr(enc.size() - 2), std::string(2, '\0'));
      leaf_hashes.push_back(HashLeaf(std::string(2, '\0') + enc.substr(0, enc.size() - 2)));
    }
    // Publish: every full tile, and the partial tile of the current size (older partials stay until
    // DeletePartials, as logs may keep them for a while).
    for (uint64_t t = 0; t * 256 < new_size; ++t) {
      uint64_t w = std::min<uint64_t>(256, new_size - t * 256);
      std::string body;
      for (uint64_t i = 0; i < w; ++i) body += leaves[t * 256 + i];
      files[DataTilePath(t, static_cast<uint16_t>(w))] = body;
    }
  }
  void DeletePartials() {
    for (auto it = files.begin(); it != files.end();)
      it = it->first.find(".p/") != std::string::npos ? files.erase(it) : std::next(it);
  }
  std::optional<std::string> Get(const std::string& path) const {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
};

// One download run from position to size; appends to *got; returns the new position.
uint64_t Download(const SimLog& log, uint64_t position, uint64_t size, std::vector<LogEntry>* got,
                  int* fallbacks) {
  auto plan = TilePlan::Make(position, size);
  EXPECT_TRUE(plan.ok());
  for (uint64_t i = 0; i < plan->size(); ++i) {
    TileFetch f = plan->at(i);
    auto body = log.Get(f.path());
    if (!body && f.is_partial()) {
      f = FullTileFallback(f);
      body = log.Get(f.path());
      ++*fallbacks;
    }
    EXPECT_TRUE(body.has_value()) << f.path();
    if (!body) return position;
    Status s = DecodeDataTile(*body, f.spec(), got);
    EXPECT_TRUE(s.ok()) << s.ToString();
    position = f.end_index();
  }
  return position;
}

TEST(TileSim, ResumedRunsWithVanishingPartialTilesGetEveryEntryOnce) {
  SimLog log;
  std::vector<LogEntry> got;
  int fallbacks = 0;
  uint64_t pos = 0;
  // Run 1: size 778 (3 full tiles + 003.p/10).
  log.Grow(778);
  pos = Download(log, pos, 778, &got, &fallbacks);
  EXPECT_EQ(pos, 778u);
  // Run 2: the log grew to 1030; tile 3 is full now and we resume in its middle (entry 10).
  log.Grow(1030);
  pos = Download(log, pos, 1030, &got, &fallbacks);
  EXPECT_EQ(pos, 1030u);
  // Run 3: we only know size 1100 from a checkpoint, but the log is at 1300 and deleted 004.p/76:
  // the fallback fetches full tile 4 and takes its first 76 entries.
  log.Grow(1300);
  log.DeletePartials();
  pos = Download(log, pos, 1100, &got, &fallbacks);
  EXPECT_EQ(pos, 1100u);
  EXPECT_EQ(fallbacks, 1);
  // Run 4: catch up to 1300 (a partial 005.p/20 exists again after re-publishing).
  log.Grow(1300);
  pos = Download(log, pos, 1300, &got, &fallbacks);
  EXPECT_EQ(pos, 1300u);

  ASSERT_EQ(got.size(), 1300u);
  CompactRange range, expected;
  for (uint64_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].index, i);
    ASSERT_EQ(got[i].cert, "cert-" + std::to_string(i));
    ASSERT_EQ(got[i].leaf_hash, log.leaf_hashes[i]) << i;
    range.Append(got[i].leaf_hash);
    expected.Append(log.leaf_hashes[i]);
    if (i + 1 == 256 || i + 1 == 778 || i + 1 == 1024) {
      EXPECT_EQ(range.Root(), expected.Root()) << i + 1;
    }
  }
  EXPECT_EQ(range.Root(), expected.Root());
}

TEST(TileSim, AFullTileWhereAPartialWasExpectedIsCorruptNotSilentlyTrimmed) {
  SimLog log;
  log.Grow(600);  // tile 1 is full by now
  auto plan = TilePlan::Make(256, 300);
  ASSERT_TRUE(plan.ok());
  TileFetch f = plan->at(0);
  ASSERT_EQ(f.path(), "tile/data/001.p/44");
  // A misbehaving server answers the partial path with the full tile: more entries than asked.
  std::vector<LogEntry> got;
  EXPECT_EQ(DecodeDataTile(*log.Get("tile/data/001"), f.spec(), &got).code(), Code::kCorrupt);
  EXPECT_TRUE(got.empty());
  // Asked the right way (the fallback), the same bytes give exactly the 44 entries.
  ASSERT_TRUE(DecodeDataTile(*log.Get("tile/data/001"), FullTileFallback(f).spec(), &got).ok());
  ASSERT_EQ(got.size(), 44u);
  EXPECT_EQ(got.back().index, 299u);
}

}  // namespace
}  // namespace ctdl
