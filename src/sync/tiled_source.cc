// static-ct-api (tiled) entry source: the checkpoint as tree head, one data tile per request
// (256-aligned, so every request is a whole tile or the part of one still to be committed), gzip
// accepted whether asked for or not, partial tiles with the full-tile fallback. See log_source.h and
// doc/tiles.md.
#include <fmt/format.h>

#include <algorithm>

#include "ct/tile_leaf.h"
#include "ct/tile_plan.h"
#include "ct/proof.h"
#include "sync/log_source.h"

namespace ctdl {
namespace {

// The tile fetch for request r against a tree of tree_size entries: the tile holding r.start, requested
// at its width in that tree (partial for the last tile when tree_size mod 256 != 0), emitting
// [r.start, r.end). r never crosses a tile boundary (RequestEnd sees to it).
Result<TileFetch> FetchFor(const SourceRequest& r, uint64_t tree_size) {
  if (r.end <= r.start || r.end > tree_size || (r.end - 1) / kTileWidth != r.start / kTileWidth)
    return InvalidArgument(
        fmt::format("tiled source: bad request [{}, {}) for tree size {}", r.start, r.end, tree_size));
  TRY_ASSIGN(TilePlan plan, TilePlan::Make(r.start, tree_size));
  TileFetch f = plan.at(0);
  f.end = static_cast<uint16_t>(r.end - f.tile * kTileWidth);  // --end may stop inside a tile
  return r.full_tile ? FullTileFallback(f) : f;
}

class TileEntryDecoder : public EntryDecoder {
 public:
  explicit TileEntryDecoder(uint64_t tree_size) : tree_size_(tree_size) {}
  Status Decode(std::string_view body, const SourceRequest& r, std::vector<LogEntry>* out) override {
    TRY_ASSIGN(TileFetch f, FetchFor(r, tree_size_));
    return DecodeDataTile(body, f.spec(), out);  // inflates gzip whether or not it was asked for
  }
  Status DecodeInto(std::string_view body, size_t, const SourceRequest& r, EntrySlots* out) override {
    TRY_ASSIGN(TileFetch f, FetchFor(r, tree_size_));
    return DecodeDataTile(body, f.spec(), out);
  }

 private:
  const uint64_t tree_size_;
};

class TiledSource : public LogSource {
 public:
  TiledSource(std::string url, std::string origin) : url_(std::move(url)), origin_(std::move(origin)) {}
  const char* kind() const override { return "tiled"; }
  std::string TreeHeadUrl() const override { return url_ + "checkpoint"; }
  Result<SignedTreeHead> ParseTreeHead(std::string_view body) const override {
    TRY_ASSIGN(Checkpoint cp, ParseCheckpoint(body));
    SignedTreeHead h;
    h.tree_size = cp.size;
    h.root_hash = cp.root_hash;
    return h;
  }
  Result<SignedTreeHead> VerifyTreeHead(const LogVerifier& verifier, std::string_view body) const override {
    auto cp = ParseCheckpoint(body);
    if (!cp.ok()) return cp.status().Annotate(TreeHeadUrl());
    auto ts = verifier.VerifyCheckpoint(*cp, origin_);
    if (!ts.ok())
      return ts.status().Annotate(fmt::format("{}: checkpoint of tree size {} (root {})", url_, cp->size,
                                              RootToString(cp->root_hash)));
    SignedTreeHead h;
    h.tree_size = cp->size;
    h.root_hash = cp->root_hash;
    h.timestamp = *ts;
    return h;
  }
  void SetTreeSize(uint64_t tree_size) override { tree_size_ = tree_size; }

  // Tiles are immutable and CDN-cached: no probing, many in flight (AIMD up to --max-inflight).
  bool Probing() const override { return false; }
  uint64_t RequestSize() const override { return kTileWidth; }
  uint64_t RequestEnd(uint64_t start, uint64_t limit) const override {
    return std::min(limit, (start / kTileWidth + 1) * kTileWidth);
  }
  void Observe(uint64_t, uint64_t, uint64_t) override {}

  HttpRequest MakeRequest(const SourceRequest& r) const override {
    HttpRequest req;
    auto f = FetchFor(r, tree_size_);
    // A bad request cannot happen (RequestEnd shapes them); should it, the URL 404s and is reported.
    req.url = url_ + (f.ok() ? f->path() : "tile/data/invalid-request");
    req.accept_gzip = true;  // Accept-Encoding: gzip, identity
    return req;
  }
  bool Has404Fallback(const SourceRequest& r) const override {
    auto f = FetchFor(r, tree_size_);
    return f.ok() && f->is_partial();
  }
  std::unique_ptr<EntryDecoder> NewDecoder() const override {
    return std::make_unique<TileEntryDecoder>(tree_size_);
  }

 private:
  const std::string url_;
  const std::string origin_;  // the checkpoint's first line
  uint64_t tree_size_ = 0;
};

}  // namespace

std::unique_ptr<LogSource> NewTiledSource(std::string url, std::string origin) {
  return std::make_unique<TiledSource>(std::move(url), std::move(origin));
}

}  // namespace ctdl
