#include "ct/tile_path.h"

#include <vector>

namespace ctdl {
namespace {

uint16_t ValidWidth(uint16_t width) { return (width >= 1 && width <= kTileWidth) ? width : kTileWidth; }

void AppendPartialSuffix(std::string* out, uint16_t width) {
  width = ValidWidth(width);
  if (width < kTileWidth) {
    out->append(".p/");
    out->append(std::to_string(width));
  }
}

// Parses a non-empty decimal without leading zeros ("0" itself is fine). False on anything else.
bool ParseDecimal(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    parts.push_back(
        s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool IsThreeDigits(std::string_view g) {
  return g.size() == 3 && g[0] >= '0' && g[0] <= '9' && g[1] >= '0' && g[1] <= '9' && g[2] >= '0' &&
         g[2] <= '9';
}

}  // namespace

std::string TileIndexPath(uint64_t n) {
  // Groups of three digits, most significant first.
  uint16_t groups[7];  // 2^64 has 20 digits: at most 7 groups
  int count = 0;
  do {
    groups[count++] = static_cast<uint16_t>(n % 1000);
    n /= 1000;
  } while (n > 0);
  std::string out;
  out.reserve(static_cast<size_t>(count) * 5);
  for (int i = count - 1; i >= 0; --i) {
    if (i > 0) out.push_back('x');
    out.push_back(static_cast<char>('0' + groups[i] / 100));
    out.push_back(static_cast<char>('0' + groups[i] / 10 % 10));
    out.push_back(static_cast<char>('0' + groups[i] % 10));
    if (i > 0) out.push_back('/');
  }
  return out;
}

std::string DataTilePath(uint64_t n, uint16_t width) {
  std::string out = "tile/data/";
  out += TileIndexPath(n);
  AppendPartialSuffix(&out, width);
  return out;
}

std::string HashTilePath(int level, uint64_t n, uint16_t width) {
  std::string out = "tile/";
  out += std::to_string(level);
  out.push_back('/');
  out += TileIndexPath(n);
  AppendPartialSuffix(&out, width);
  return out;
}

std::string TilePath(const TileRef& ref) {
  return ref.is_data() ? DataTilePath(ref.index, ref.width) : HashTilePath(ref.level, ref.index, ref.width);
}

std::string IssuerPath(const Hash256& fingerprint) { return "issuer/" + HexEncode(AsView(fingerprint)); }

Result<TileRef> ParseTilePath(std::string_view path) {
  auto bad = [&](const char* why) {
    return InvalidArgument("tile path \"" + std::string(path.substr(0, 200)) + "\": " + why);
  };
  std::vector<std::string_view> parts = Split(path);
  if (parts.size() < 3 || parts[0] != "tile") return bad("does not start with tile/<level>/");
  TileRef ref;
  if (parts[1] == "data") {
    ref.level = TileRef::kData;
  } else {
    uint64_t level;
    if (!ParseDecimal(parts[1], kMaxTileLevel, &level)) return bad("level is not 0..63 or \"data\"");
    ref.level = static_cast<int>(level);
  }
  // Index groups run from parts[2] up to the one without 'x'; an optional ".p" suffix on the last group
  // is followed by one more element, the width.
  size_t i = 2;
  uint64_t n = 0;
  bool last = false;
  bool first_group = true;
  while (!last) {
    if (i >= parts.size()) return bad("index ends with an x-prefixed group");
    std::string_view g = parts[i++];
    if (!g.empty() && g[0] == 'x') {
      g.remove_prefix(1);
    } else {
      last = true;
      if (g.size() == 5 && g.substr(3) == ".p") {
        g = g.substr(0, 3);
        if (i + 1 != parts.size()) return bad("\".p\" must be followed by exactly one width element");
        uint64_t w;
        if (!ParseDecimal(parts[i], kTileWidth - 1, &w) || w == 0) return bad("partial width is not 1..255");
        ref.width = static_cast<uint16_t>(w);
        ++i;
      }
    }
    if (!IsThreeDigits(g)) return bad("index group is not three digits");
    uint64_t d = static_cast<uint64_t>((g[0] - '0') * 100 + (g[1] - '0') * 10 + (g[2] - '0'));
    if (first_group && !last && d == 0) return bad("index has a leading zero group");
    first_group = false;
    if (n > (UINT64_MAX - d) / 1000) return bad("index overflows 64 bits");
    n = n * 1000 + d;
  }
  if (i != parts.size()) return bad("extra path elements after the index");
  ref.index = n;
  return ref;
}

}  // namespace ctdl
