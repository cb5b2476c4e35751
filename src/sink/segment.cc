#include "sink/segment.h"

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include <cctype>
#include <charconv>
#include <memory>
#include <utility>

namespace ctdl {

Result<Compression> ParseCompression(std::string_view name) {
  if (name == "gzip" || name == "gz") return Compression::kGzip;
  if (name == "zstd" || name == "zst") return Compression::kZstd;
  return InvalidArgument(fmt::format("unknown compression \"{}\" (use gzip or zstd)", name));
}

std::string_view CompressionName(Compression c) { return c == Compression::kGzip ? "gzip" : "zstd"; }

std::string_view SegmentExtension(Compression c) {
  return c == Compression::kGzip ? ".jsonl.gz" : ".jsonl.zst";
}

std::string LogSlug(std::string_view url) {
  if (auto p = url.find("://"); p != std::string_view::npos) url.remove_prefix(p + 3);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  size_t host_end = url.find('/');
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string out;
  out.reserve(url.size());
  for (size_t i = 0; i < url.size(); i++) {
    char c = url[i];
    if (i < host_end) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-';
    out.push_back(keep ? c : '_');
  }
  if (out.empty()) return "log";
  if (out.front() == '.') out.front() = '_';
  return out;
}

std::string SegmentPrefix(std::string_view slug) { return fmt::format("{}/", slug); }

std::string SegmentKey(std::string_view slug, uint64_t first, uint64_t last, Compression c) {
  return fmt::format("{}/{:012}-{:012}{}", slug, first, last, SegmentExtension(c));
}

std::optional<SegmentName> ParseSegmentKey(std::string_view key) {
  if (auto p = key.rfind('/'); p != std::string_view::npos) key.remove_prefix(p + 1);
  SegmentName n;
  if (key.ends_with(".jsonl.gz")) {
    n.compression = Compression::kGzip;
    key.remove_suffix(9);
  } else if (key.ends_with(".jsonl.zst")) {
    n.compression = Compression::kZstd;
    key.remove_suffix(10);
  } else {
    return std::nullopt;
  }
  auto dash = key.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto parse = [](std::string_view s, uint64_t* v) {
    if (s.size() < 12 || s.size() > 20) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size();
  };
  if (!parse(key.substr(0, dash), &n.first) || !parse(key.substr(dash + 1), &n.last))
    return std::nullopt;
  if (n.first > n.last) return std::nullopt;
  return n;
}

namespace {

struct DeflateFree {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct ZstdCFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// Output buffer for one compression call. Pieces (~150 KB of records, segment.h) are compressed
// into a per-thread scratch buffer and copied out at their real size (about a sixth of the bound):
// a bound-sized string per piece was zeroed and faulted in every time, and kept its whole capacity
// while the segment's pieces waited for the write. Bigger inputs (a whole segment) get their own.
constexpr size_t kScratchMax = 1 << 20;
char* OutputBuffer(size_t bound, std::string* own) {
  thread_local std::string scratch;
  std::string& buf = bound <= kScratchMax ? scratch : *own;
  if (buf.size() < bound) buf.resize(bound);
  return buf.data();
}
// The n bytes compressed into `buf` (from OutputBuffer) as their own right-sized string.
std::string TakeOutput(const char* buf, size_t n, std::string* own) {
  if (buf != own->data()) return std::string(buf, n);
  own->resize(n);
  return std::move(*own);
}

// The default gzip: ISA-L's igzip at level 1 (segment.h, doc/segments.md), one stateless call per
// piece with a per-thread level buffer. Output is one plain gzip member (generic 10-byte header).
Result<std::string> IsalGzip(std::string_view in) {
  thread_local std::unique_ptr<uint8_t[]> level_buf(new uint8_t[ISAL_DEF_LVL1_DEFAULT]);
  isal_zstream zs;  // 80 KB: not zeroed as a whole
  isal_deflate_stateless_init(&zs);
  zs.hist_bits = 0;  // the default 32 KiB window: stateless_init leaves hist_bits as the stack held it
  zs.level = 1;
  zs.level_buf = level_buf.get();
  zs.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
  zs.gzip_flag = IGZIP_GZIP;
  zs.flush = NO_FLUSH;
  zs.end_of_stream = 1;
  // Stored blocks at worst: the input, a 5-byte header per 64 KiB block, gzip header and trailer.
  const size_t bound = in.size() + (in.size() / 65535 + 1) * 5 + 64;
  if (in.size() > UINT32_MAX || bound > UINT32_MAX) return Internal("igzip: input too large");
  std::string own;
  char* buf = OutputBuffer(bound, &own);
  zs.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uint32_t>(in.size());
  zs.next_out = reinterpret_cast<uint8_t*>(buf);
  zs.avail_out = static_cast<uint32_t>(bound);
  int rc = isal_deflate_stateless(&zs);
  if (rc != COMP_OK || zs.avail_in != 0) return Internal(fmt::format("igzip failed ({})", rc));
  return TakeOutput(buf, bound - zs.avail_out, &own);
}

Result<std::string> Gzip(std::string_view in, int level) {
  if (level <= 0) return IsalGzip(in);
  if (level > 12) level = 12;
  thread_local int cached_level = -1;
  thread_local std::unique_ptr<libdeflate_compressor, DeflateFree> comp;
  if (!comp || cached_level != level) {
    comp.reset(libdeflate_alloc_compressor(level));
    cached_level = level;
    if (!comp) return Internal("libdeflate_alloc_compressor failed");
  }
  std::string own;
  const size_t bound = libdeflate_gzip_compress_bound(comp.get(), in.size());
  char* buf = OutputBuffer(bound, &own);
  size_t n = libdeflate_gzip_compress(comp.get(), in.data(), in.size(), buf, bound);
  if (n == 0) return Internal("libdeflate_gzip_compress failed");
  return TakeOutput(buf, n, &own);
}

Result<std::string> Zstd(std::string_view in, int level) {
  if (level <= 0) level = 3;
  if (level > 19) level = 19;
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCFree> cctx(ZSTD_createCCtx());
  if (!cctx) return Internal("ZSTD_createCCtx failed");
  std::string own;
  const size_t bound = ZSTD_compressBound(in.size());
  char* buf = OutputBuffer(bound, &own);
  size_t n = ZSTD_compressCCtx(cctx.get(), buf, bound, in.data(), in.size(), level);
  if (ZSTD_isError(n)) return Internal(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  return TakeOutput(buf, n, &own);
}

// zlib handles concatenated gzip members and streams of unknown size.
Result<std::string> Gunzip(std::string_view in, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Internal("inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, &inflateEnd);
  std::string out;
  char buf[1 << 16];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  if (in.empty()) return Corrupt("gzip segment is empty");
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) return Corrupt("gzip segment decompresses beyond the size limit");
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) return out;
      if (inflateReset(&zs) != Z_OK) return Corrupt("gzip: cannot continue after member");
      continue;  // next member
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return Corrupt("gzip segment is truncated");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return Corrupt(fmt::format("gzip segment is corrupt: {}", zs.msg ? zs.msg : "inflate error"));
  }
}

Result<std::string> Unzstd(std::string_view in, size_t max_bytes) {
  std::unique_ptr<ZSTD_DCtx, ZstdDFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Internal("ZSTD_createDCtx failed");
  if (in.empty()) return Corrupt("zstd segment is empty");
  std::string out;
  char buf[1 << 16];
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  // ZSTD_decompressStream may return before the output is full with data still to come (seen on
  // multi-MB frames of raw blocks), so "output not full" does not mean "flushed": the end is a
  // complete frame (rc == 0) with the input used up; truncation is a call that makes no progress.
  while (true) {
    const size_t in_before = ib.pos;
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    size_t rc = ZSTD_decompressStream(dctx.get(), &ob, &ib);
    if (ZSTD_isError(rc))
      return Corrupt(fmt::format("zstd segment is corrupt: {}", ZSTD_getErrorName(rc)));
    out.append(buf, ob.pos);
    if (out.size() > max_bytes) return Corrupt("zstd segment decompresses beyond the size limit");
    if (rc == 0 && ib.pos == ib.size) break;  // last frame complete and flushed
    if (ob.pos == 0 && ib.pos == in_before) return Corrupt("zstd segment is truncated");
  }
  return out;
}

}  // namespace

Result<std::string> CompressSegment(std::string_view ndjson, Compression c, int level) {
  return c == Compression::kGzip ? Gzip(ndjson, level) : Zstd(ndjson, level);
}

Result<std::string> DecompressSegment(std::string_view data, Compression c, size_t max_bytes) {
  return c == Compression::kGzip ? Gunzip(data, max_bytes) : Unzstd(data, max_bytes);
}

void SegmentBuilder::Add(std::string_view record) {
  while (!record.empty() && record.back() == '\n') record.remove_suffix(1);
  pending_.append(record);
  pending_.push_back('\n');
  ++pending_count_;
  ++count_;
  if (next() % kPieceEntries == 0) PackPending();
}

void SegmentBuilder::AddPacked(uint64_t count, std::string_view packed) {
  AddPacked(count, std::string(packed));
}

void SegmentBuilder::AddPacked(uint64_t count, std::string&& packed) {
  if (pending_count_ != 0) PackPending();  // the caller should not: keep the records anyway
  packed_bytes_ += packed.size();
  packed_.push_back(std::move(packed));
  count_ += count;
}

void SegmentBuilder::PackPending() {
  if (pending_count_ == 0) return;
  auto piece = CompressSegment(pending_, compression_, level_);
  if (piece.ok()) {
    packed_bytes_ += piece->size();
    packed_.push_back(std::move(*piece));
  }
  else if (error_.ok()) error_ = piece.status();
  pending_.clear();
  pending_count_ = 0;
}

Result<std::string> SegmentBuilder::Key(std::string_view slug, Compression c) const {
  if (empty()) return InvalidArgument("empty segment has no key");
  return SegmentKey(slug, first_, last(), c);
}

Result<std::string> SegmentBuilder::Compress(Compression c, int level) const {
  std::string out;
  TRY(CompressTo(c, level, &out));
  return out;
}

Status SegmentBuilder::CompressTo(Compression c, int level, std::string* out) const {
  out->clear();
  if (empty()) return InvalidArgument("empty segment");
  if (!error_.ok()) return error_;
  if (c != compression_) {
    TRY_ASSIGN(std::string text, Ndjson());
    TRY_ASSIGN(*out, CompressSegment(text, c, level));
    return Status::Ok();
  }
  const size_t need = packed_bytes_ + pending_.size() / 2 + 64;
  if (out->capacity() < need) out->reserve(need + need / 8);  // room for a slightly larger next segment
  for (const std::string& piece : packed_) out->append(piece);
  if (pending_count_ != 0) {
    TRY_ASSIGN(std::string last, CompressSegment(pending_, compression_, level_));
    out->append(last);
  }
  return Status::Ok();
}

Result<std::string> SegmentBuilder::Ndjson() const {
  if (!error_.ok()) return error_;
  std::string text;
  if (!packed_.empty()) {
    std::string joined;
    joined.reserve(packed_bytes_);
    for (const std::string& piece : packed_) joined.append(piece);
    TRY_ASSIGN(text, DecompressSegment(joined, compression_));
  }
  text.append(pending_);
  return text;
}

}  // namespace ctdl
