#include "der.h"

#include <algorithm>

namespace testlog {

std::string Tlv(uint8_t tag, std::string_view content) {
  std::string out;
  out.reserve(content.size() + 6);
  out.push_back(static_cast<char>(tag));
  size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else {
    int bytes = 0;
    for (size_t t = n; t; t >>= 8) ++bytes;
    out.push_back(static_cast<char>(0x80 | bytes));
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  out.append(content);
  return out;
}

static void AppendBase128(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  do {
    buf[n++] = static_cast<char>(v & 0x7f);
    v >>= 7;
  } while (v);
  for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>(buf[i] | (i ? 0x80 : 0)));
}

std::string Oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  uint64_t cur = 0;
  for (char c : dotted) {
    if (c == '.') {
      arcs.push_back(cur);
      cur = 0;
    } else {
      cur = cur * 10 + (c - '0');
    }
  }
  arcs.push_back(cur);
  std::string body;
  AppendBase128(&body, arcs[0] * 40 + (arcs.size() > 1 ? arcs[1] : 0));
  for (size_t i = 2; i < arcs.size(); ++i) AppendBase128(&body, arcs[i]);
  return Tlv(kOid, body);
}

std::string IntegerFromBytes(std::string_view mag) {
  size_t i = 0;
  while (i + 1 < mag.size() && static_cast<uint8_t>(mag[i]) == 0) ++i;
  std::string body;
  if (mag.empty()) {
    body.push_back(0);
  } else {
    if (static_cast<uint8_t>(mag[i]) & 0x80) body.push_back(0);
    body.append(mag.substr(i));
  }
  return Tlv(kInteger, body);
}

std::string Integer(uint64_t v) {
  std::string mag;
  for (int i = 7; i >= 0; --i) mag.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return IntegerFromBytes(mag);
}

std::string BitString(std::string_view bytes) {
  std::string body(1, '\0');
  body.append(bytes);
  return Tlv(kBitString, body);
}

std::string SetOf(std::vector<std::string> elements) {
  std::sort(elements.begin(), elements.end());
  std::string body;
  for (auto& e : elements) body += e;
  return Set(body);
}

std::string Utf8ToUcs(std::string_view s, int width) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    uint32_t cp;
    int extra;
    if (c < 0x80) {
      cp = c, extra = 0;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f, extra = 1;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f, extra = 2;
    } else {
      cp = c & 0x07, extra = 3;
    }
    for (int k = 1; k <= extra && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3f);
    i += 1 + extra;
    for (int b = width - 1; b >= 0; --b) out.push_back(static_cast<char>((cp >> (8 * b)) & 0xff));
  }
  return out;
}

static bool ReadTlv(std::string_view der, size_t* header, size_t* len) {
  if (der.size() < 2) return false;
  uint8_t l = der[1];
  size_t pos = 2;
  size_t n = 0;
  if (l < 0x80) {
    n = l;
  } else {
    int bytes = l & 0x7f;
    if (bytes == 0 || bytes > 4 || der.size() < 2 + static_cast<size_t>(bytes)) return false;
    for (int i = 0; i < bytes; ++i) n = (n << 8) | static_cast<uint8_t>(der[pos++]);
  }
  if (der.size() - pos < n) return false;
  *header = pos;
  *len = n;
  return true;
}

std::string_view TlvContent(std::string_view der) {
  size_t h, n;
  if (!ReadTlv(der, &h, &n)) return {};
  return der.substr(h, n);
}

std::vector<std::string_view> SeqElements(std::string_view content) {
  std::vector<std::string_view> out;
  while (!content.empty()) {
    size_t h, n;
    if (!ReadTlv(content, &h, &n)) return {};
    out.push_back(content.substr(0, h + n));
    content.remove_prefix(h + n);
  }
  return out;
}

static uint64_t SplitMix(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = SplitMix(&seed);
}

static inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Rng::Next() {
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

std::string Rng::Bytes(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = Next();
    for (size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<char>(v >> (8 * k));
  }
  return out;
}

uint64_t Mix(uint64_t seed, uint64_t n) {
  uint64_t x = seed ^ (n * 0xd1342543de82ef95ULL);
  SplitMix(&x);
  return SplitMix(&x);
}

}  // namespace testlog
