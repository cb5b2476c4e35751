#include "ct/tile_gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>

namespace ctdl {
namespace {

// RAII for one z_stream set up for gzip decoding.
class GzipInflater {
 public:
  GzipInflater() { ok_ = inflateInit2(&zs_, 16 + MAX_WBITS) == Z_OK; }
  ~GzipInflater() {
    if (ok_) inflateEnd(&zs_);
  }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;
  bool ok() const { return ok_; }
  z_stream* stream() { return &zs_; }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

// The ISIZE field of the last member (uncompressed size mod 2^32), used only as a reserve hint. Bytes
// from a log can claim anything there (or be truncated), so the hint is also bounded by 8x the input:
// real tiles compress 3-4x; bigger outputs simply grow the buffer as they inflate.
size_t SizeHint(std::string_view gz, size_t max_size) {
  if (gz.size() < 18) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(gz.data() + gz.size() - 4);
  size_t isize = p[0] | p[1] << 8 | p[2] << 16 | static_cast<size_t>(p[3]) << 24;
  return std::min({isize, max_size, gz.size() * 8});
}

}  // namespace

bool IsGzip(std::string_view body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
         static_cast<unsigned char>(body[1]) == 0x8b;
}

Status GunzipTile(std::string_view gz, std::string* out, size_t max_size) {
  out->clear();
  if (!IsGzip(gz)) return Corrupt("tile body is not gzip");
  GzipInflater inf;
  if (!inf.ok()) return Internal("zlib inflateInit2 failed");
  z_stream* zs = inf.stream();
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  // zlib counts in uInt; tiles are far below 4 GiB, but never let a huge view wrap around.
  if (gz.size() > UINT32_MAX) return Corrupt("gzip tile body is too large");
  zs->avail_in = static_cast<uInt>(gz.size());

  out->reserve(SizeHint(gz, max_size));
  constexpr size_t kChunk = 64 << 10;
  size_t produced = 0;
  while (true) {
    // Room for at most max_size + 1 bytes: one byte over the cap tells us the cap was exceeded.
    size_t room = std::min(kChunk, max_size + 1 - produced);
    out->resize(produced + room);
    zs->next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs->avail_out = static_cast<uInt>(room);
    int rc = inflate(zs, Z_NO_FLUSH);
    produced += room - zs->avail_out;
    if (produced > max_size) {
      out->clear();
      return Corrupt("gzip tile inflates to more than " + std::to_string(max_size) + " bytes");
    }
    if (rc == Z_STREAM_END) {
      if (zs->avail_in == 0) break;
      // Another member may follow; anything else is trailing garbage.
      std::string_view rest(reinterpret_cast<const char*>(zs->next_in), zs->avail_in);
      if (!IsGzip(rest)) {
        out->clear();
        return Corrupt("trailing bytes after the gzip stream of a tile");
      }
      if (inflateReset(zs) != Z_OK) return Internal("zlib inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs->avail_in == 0) {
      out->clear();
      return Corrupt("truncated gzip tile");
    }
    out->clear();
    std::string why = zs->msg ? zs->msg : ("zlib error " + std::to_string(rc));
    return Corrupt("bad gzip tile: " + why);
  }
  out->resize(produced);
  return Status::Ok();
}

Result<std::string_view> TileBytes(std::string_view body, std::string* scratch, size_t max_size) {
  if (!IsGzip(body)) {
    if (body.size() > max_size) return Corrupt("tile is larger than " + std::to_string(max_size) + " bytes");
    return body;
  }
  TRY(GunzipTile(body, scratch, max_size));
  if (IsGzip(*scratch)) {
    // Compressed twice (a stored .gz tile that a proxy gzipped again). Data tiles never start with the
    // magic, so one more layer is safe; more than two layers is not something a real server does.
    std::string inner;
    TRY(GunzipTile(*scratch, &inner, max_size));
    if (IsGzip(inner)) return Corrupt("tile is gzip-compressed more than twice");
    *scratch = std::move(inner);
  }
  return std::string_view(*scratch);
}

}  // namespace ctdl
