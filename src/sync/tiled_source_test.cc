// The download pipeline over a static-ct-api (tiled) log: a fake tiled log behind the HttpClient seam
// (checkpoint + data tiles, gzip, partial tiles, faults) and LogDownload with a FakeClock.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "ct/merkle.h"
#include "ct/tile_leaf.h"
#include "ct/tile_path.h"
#include "sink/memory_archive.h"
#include "sink/segment.h"
#include "store/memory_state_store.h"
#include "sync/log_download.h"
#include "sync/log_source.h"

namespace ctdl {
namespace {

constexpr char kUrl[] = "https://tiles.example/log/";

struct FakeTiledOptions {
  uint64_t checkpoint_size = 2500;   // what the checkpoint says
  uint64_t available = 0;            // entries the tiles can serve (0: checkpoint_size)
  bool gzip = false;                 // bodies gzip-compressed whatever was asked
  bool remove_partial = false;       // a partial tile 404s once its full tile exists
  std::set<uint64_t> truncate_once;  // tiles whose first reply is cut (gzip: a truncated stream)
  std::set<uint64_t> short_once;     // tiles whose first reply lacks its last entry
  std::set<uint64_t> missing_full;   // full tiles that always 404 (a pruned log)
  std::set<uint64_t> wrong_tile;     // tiles always served with the next tile's entries (leaf_index)
};

class FakeTiledLog : public HttpClient {
 public:
  explicit FakeTiledLog(FakeTiledOptions o) : o_(std::move(o)) {
    if (o_.available == 0) o_.available = o_.checkpoint_size;
    CompactRange range;
    uint64_t n = std::max(o_.available, o_.checkpoint_size);
    for (uint64_t i = 0; i < n; ++i) {
      std::string cert = "cert-" + std::to_string(i), ext = LeafIndexExtension(i), leaf;
      TileLeafView v;
      v.timestamp = 1000 + i;
      v.certificate = cert;
      v.extensions = ext;
      EXPECT_TRUE(AppendTileLeaf(v, &leaf).ok());
      std::string_view rest = leaf;
      TileLeafView parsed;
      EXPECT_TRUE(ReadTileLeaf(&rest, &parsed).ok());
      if (i < o_.checkpoint_size) range.Append(TileLeafHash(parsed));
      leaves_.push_back(std::move(leaf));
    }
    Hash256 root = range.Root();
    checkpoint_ = "tiles.example/log\n" + std::to_string(o_.checkpoint_size) + "\n" +
                  Base64Encode(AsView(root)) + "\n\n\xE2\x80\x94 tiles.example/log " +
                  Base64Encode("\x01\x02\x03\x04signature") + "\n";
  }
  const std::string& checkpoint() const { return checkpoint_; }

  HttpResponse Fetch(const HttpRequest& req) override {
    HttpResponse r;
    std::string path = req.url.substr(std::string(kUrl).size());
    std::lock_guard<std::mutex> l(mu_);
    paths.push_back(path);
    if (path.starts_with("tile/")) all_asked_gzip = all_asked_gzip && req.accept_gzip;
    if (path == "checkpoint") {
      r.status = 200;
      r.body = checkpoint_;
      return r;
    }
    auto ref = ParseTilePath(path);
    r.status = 404;
    if (!ref.ok() || !ref->is_data()) return r;
    uint64_t first = ref->index * kTileWidth, n = ref->width;
    if (first + n > o_.available) return r;
    if (ref->is_partial() && o_.remove_partial && first + kTileWidth <= o_.available) return r;
    if (!ref->is_partial() && o_.missing_full.count(ref->index)) return r;
    bool first_time = served_.insert(path).second;
    if (first_time && o_.short_once.count(ref->index)) --n;
    if (o_.wrong_tile.count(ref->index)) first += kTileWidth;
    for (uint64_t i = first; i < first + n; ++i) r.body += leaves_[i];
    if (o_.gzip) r.body = *CompressSegment(r.body, Compression::kGzip);
    if (first_time && o_.truncate_once.count(ref->index)) r.body.resize(r.body.size() * 2 / 3);
    r.status = 200;
    return r;
  }

  std::vector<std::string> paths;  // every requested path, in order (read after the run)
  bool all_asked_gzip = true;

 private:
  FakeTiledOptions o_;
  std::vector<std::string> leaves_;
  std::string checkpoint_;
  std::mutex mu_;
  std::set<std::string> served_;
};

class TiledDownloadTest : public ::testing::Test {
 protected:
  TiledDownloadTest() {
    options.segment_entries = 1000;
    options.max_inflight = 8;
    tuning.poll = std::chrono::milliseconds(2);
    ctx.store = store.get();
    ctx.archive = archive.get();
    ctx.clock = &clock;
    ctx.stop_signals = &stop;
    LogState s;
    s.url = kUrl;
    s.log_type = "tiled";
    EXPECT_TRUE(store->Register({s}, false).ok());
  }
  Status Run(FakeTiledLog* log) {
    ctx.http = log;
    TokenBucket bucket(0);
    LogDownload d(kUrl, options, ctx, &bucket, tuning);
    return d.Run();
  }
  LogState State() { return **store->Get(kUrl); }
  // (index, timestamp) of every archived record, in key and line order; also checks key names.
  std::vector<std::pair<uint64_t, uint64_t>> Records() {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const auto& [key, data] : archive->Objects()) {
      auto name = ParseSegmentKey(key);
      if (!name) continue;
      auto text = DecompressSegment(data, name->compression);
      EXPECT_TRUE(text.ok());
      uint64_t first = out.size();
      for (std::string_view rest = *text; !rest.empty();) {
        size_t nl = rest.find('\n');
        std::string line(rest.substr(0, nl));
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        auto num = [&](const std::string& k) {
          size_t p = line.find("\"" + k + "\":");
          return p == std::string::npos ? UINT64_MAX : std::stoull(line.substr(p + k.size() + 3));
        };
        out.emplace_back(num("index"), num("timestamp"));
      }
      EXPECT_EQ(name->first, out[first].first) << key;
      EXPECT_EQ(name->last, out.back().first) << key;
    }
    return out;
  }
  void ExpectExactlyOnce(uint64_t n) {
    auto recs = Records();
    ASSERT_EQ(recs.size(), n);
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_EQ(recs[i].first, i);
      ASSERT_EQ(recs[i].second, 1000 + i);
    }
  }
  static int Count(const FakeTiledLog& log, const std::string& path) {
    return static_cast<int>(std::count(log.paths.begin(), log.paths.end(), path));
  }

  FakeClock clock;
  std::unique_ptr<StateStore> store = NewMemoryStateStore();
  std::unique_ptr<MemoryArchive> archive = NewMemoryArchive();
  std::atomic<int> stop{0};
  DownloadOptions options;
  DownloadContext ctx;
  PipelineTuning tuning;
};

TEST_F(TiledDownloadTest, PartialLastTileEndsAtCheckpointSizeVerified) {
  FakeTiledLog log({});
  ASSERT_TRUE(Run(&log).ok());
  ExpectExactlyOnce(2500);
  EXPECT_EQ(archive->Objects().size(), 5u);  // as RFC 6962: 1000, 1000, 500 + manifest + writer claim
  LogState st = State();
  EXPECT_EQ(st.position, 2500u);
  EXPECT_EQ(st.verified_size, 2500u);  // the leaf hashes reach the checkpoint's root
  EXPECT_EQ(st.tree_size, 2500u);
  EXPECT_EQ(st.sth, log.checkpoint());  // the note itself is the stored tree head
  EXPECT_EQ(Count(log, "tile/data/009.p/196"), 1);
  EXPECT_EQ(Count(log, "tile/data/000"), 1);
  EXPECT_EQ(Count(log, "tile/data/010"), 0);
  EXPECT_TRUE(log.all_asked_gzip);
}

TEST_F(TiledDownloadTest, GzipBodiesDecodedWhetherOrNotLabelled) {
  FakeTiledOptions o;
  o.gzip = true;  // no Content-Encoding header: the body itself is gzip
  FakeTiledLog log(o);
  ASSERT_TRUE(Run(&log).ok());
  ExpectExactlyOnce(2500);
  EXPECT_EQ(State().verified_size, 2500u);
}

TEST_F(TiledDownloadTest, PartialTile404FallsBackToFullTile) {
  FakeTiledOptions o;
  o.available = 2600;  // the log grew past tile 9 after the checkpoint and deleted 009.p/196
  o.remove_partial = true;
  FakeTiledLog log(o);
  ASSERT_TRUE(Run(&log).ok());
  ExpectExactlyOnce(2500);  // the first 196 entries of the full tile, not 256
  EXPECT_EQ(State().position, 2500u);
  EXPECT_EQ(State().verified_size, 2500u);
  EXPECT_EQ(Count(log, "tile/data/009.p/196"), 1);
  EXPECT_EQ(Count(log, "tile/data/009"), 1);
}

TEST_F(TiledDownloadTest, TruncatedGzipAndShortTilesAreRetried) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "identity");
    store = NewMemoryStateStore();
    archive = NewMemoryArchive();
    ctx.store = store.get();
    ctx.archive = archive.get();
    LogState s;
    s.url = kUrl;
    s.log_type = "tiled";
    ASSERT_TRUE(store->Register({s}, false).ok());
    FakeTiledOptions o;
    o.gzip = gzip;
    o.truncate_once = {0, 4, 9};
    o.short_once = {2, 9};
    FakeTiledLog log(o);
    ASSERT_TRUE(Run(&log).ok());
    ExpectExactlyOnce(2500);
    EXPECT_EQ(Count(log, "tile/data/000"), 2);
    EXPECT_EQ(Count(log, "tile/data/002"), 2);
    EXPECT_EQ(Count(log, "tile/data/004"), 2);
    EXPECT_EQ(Count(log, "tile/data/009.p/196"), 2);  // short and cut once
  }
}

TEST_F(TiledDownloadTest, Full404BelowSizeIsRetriedThenReportedNeverSkipped) {
  FakeTiledOptions o;
  o.missing_full = {3};
  FakeTiledLog log(o);
  Status s = Run(&log);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tile/data/003"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("404"), std::string::npos) << s.message();
  EXPECT_EQ(Count(log, "tile/data/003"), tuning.max_attempts);
  LogState st = State();
  EXPECT_LE(st.position, 768u);  // nothing at or past the hole is committed
  ExpectExactlyOnce(st.position);
}

TEST_F(TiledDownloadTest, WrongLeafIndexIsRetriedThenReported) {
  FakeTiledOptions o;
  o.wrong_tile = {5};  // well-framed entries, but leaf_index 1536.. where 1280.. is expected
  FakeTiledLog log(o);
  Status s = Run(&log);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kCorrupt) << s.message();
  EXPECT_NE(s.message().find("tile/data/005"), std::string::npos) << s.message();
  EXPECT_EQ(Count(log, "tile/data/005"), tuning.max_bad_json);
  LogState st = State();
  EXPECT_LE(st.position, 1280u);
  ExpectExactlyOnce(st.position);
}

TEST_F(TiledDownloadTest, ResumeMidTileEmitsOnlyTheRest) {
  FakeTiledLog log({});
  options.end = 300;
  ASSERT_TRUE(Run(&log).ok());
  EXPECT_EQ(State().position, 300u);
  EXPECT_EQ(Count(log, "tile/data/001"), 1);  // --end inside a full tile: the full tile, cut
  options.end.reset();
  ASSERT_TRUE(Run(&log).ok());
  ExpectExactlyOnce(2500);                    // [0, 300) from run 1 (segment 0-299), [300, 2500) from run 2
  EXPECT_EQ(Count(log, "tile/data/001"), 2);  // resumed at 300 = tile 1 entry 44
  EXPECT_EQ(Count(log, "tile/data/000"), 1);
  EXPECT_EQ(State().verified_size, 2500u);
}

TEST(TiledSource, RequestShapes) {
  auto src = NewLogSource("tiled", kUrl);
  src->SetTreeSize(2500);
  EXPECT_FALSE(src->Probing());
  EXPECT_EQ(src->RequestEnd(0, 2500), 256u);
  EXPECT_EQ(src->RequestEnd(300, 2500), 512u);
  EXPECT_EQ(src->RequestEnd(2304, 2500), 2500u);
  EXPECT_EQ(src->RequestEnd(300, 400), 400u);
  EXPECT_EQ(src->TreeHeadUrl(), std::string(kUrl) + "checkpoint");
  HttpRequest r = src->MakeRequest({2304, 2500, false});
  EXPECT_EQ(r.url, std::string(kUrl) + "tile/data/009.p/196");
  EXPECT_TRUE(r.accept_gzip);
  EXPECT_TRUE(src->Has404Fallback({2304, 2500, false}));
  EXPECT_EQ(src->MakeRequest({2304, 2500, true}).url, std::string(kUrl) + "tile/data/009");
  EXPECT_FALSE(src->Has404Fallback({256, 512, false}));
  EXPECT_EQ(src->MakeRequest({300, 400, false}).url, std::string(kUrl) + "tile/data/001");
  EXPECT_FALSE(src->ParseTreeHead("{\"tree_size\":1}").ok());  // not a checkpoint
  auto rfc = NewLogSource("rfc6962", "https://log.example/");
  EXPECT_TRUE(rfc->Probing());
  EXPECT_EQ(rfc->TreeHeadUrl(), "https://log.example/ct/v1/get-sth");
}

}  // namespace
}  // namespace ctdl
