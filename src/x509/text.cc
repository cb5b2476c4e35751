#include "x509/text.h"

#include <charconv>

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ctdl::text {
namespace {

// Bytes that JSON needs escaped or that start a UTF-8 sequence: < 0x20, '"', '\\', >= 0x80.
constexpr bool NeedsJsonCare(uint8_t c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

// Length of the longest prefix of p[0, n) without such bytes (16 at a time where SSE2 is there).
// Record strings are mostly short plain ASCII runs (names, dates, DNS names).
size_t PlainJsonRun(const char* p, size_t n) {
  size_t j = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
  for (; j + 16 <= n; j += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too.
    __m128i care = _mm_or_si128(_mm_cmplt_epi8(x, space),
                                _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
    if (int m = _mm_movemask_epi8(care)) return j + size_t(__builtin_ctz(unsigned(m)));
  }
#endif
  while (j < n && !NeedsJsonCare(uint8_t(p[j]))) ++j;
  return j;
}

// Length of the longest ASCII prefix of p[0, n).
size_t AsciiRun(const char* p, size_t n) {
  size_t j = 0;
#if defined(__SSE2__)
  for (; j + 16 <= n; j += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    if (int m = _mm_movemask_epi8(x)) return j + size_t(__builtin_ctz(unsigned(m)));
  }
#endif
  while (j < n && uint8_t(p[j]) < 0x80) ++j;
  return j;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return uint8_t(s[i + k]); };
  uint8_t c = b(0);
  if (c < 0x80) return 1;
  size_t n = s.size() - i;
  if (c >= 0xc2 && c <= 0xdf) return n >= 2 && (b(1) & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (n < 3 || (b(1) & 0xc0) != 0x80 || (b(2) & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (n < 4 || (b(1) & 0xc0) != 0x80 || (b(2) & 0xc0) != 0x80 || (b(3) & 0xc0) != 0x80) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xc0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xe0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(char(0xf0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    i += AsciiRun(s.data() + i, s.size() - i);  // fast path for ASCII runs
    if (i >= s.size()) break;
    size_t n = Utf8SeqLen(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

bool AppendUtf16Be(std::string_view in, std::string* out) {
  if (in.size() % 2) return false;
  std::string tmp;
  for (size_t i = 0; i < in.size(); i += 2) {
    uint32_t u = uint8_t(in[i]) << 8 | uint8_t(in[i + 1]);
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 4 > in.size()) return false;
      uint32_t lo = uint8_t(in[i + 2]) << 8 | uint8_t(in[i + 3]);
      if (lo < 0xdc00 || lo > 0xdfff) return false;
      u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      i += 2;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return false;
    }
    AppendCodePoint(u, &tmp);
  }
  out->append(tmp);
  return true;
}

bool AppendUtf32Be(std::string_view in, std::string* out) {
  if (in.size() % 4) return false;
  std::string tmp;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t u = uint32_t(uint8_t(in[i])) << 24 | uint8_t(in[i + 1]) << 16 |
                 uint8_t(in[i + 2]) << 8 | uint8_t(in[i + 3]);
    if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) return false;
    AppendCodePoint(u, &tmp);
  }
  out->append(tmp);
  return true;
}

void AppendLatin1(std::string_view in, std::string* out) {
  for (char c : in) AppendCodePoint(uint8_t(c), out);
}

namespace {
// PrintableString's set as a table (X.680): A-Z a-z 0-9 space ' ( ) + , - . / : = ?
struct PrintableTable {
  bool ok[256] = {};
  constexpr PrintableTable() {
    for (int c = 'A'; c <= 'Z'; ++c) ok[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) ok[c] = true;
    for (int c = '0'; c <= '9'; ++c) ok[c] = true;
    for (char c : {' ', '\'', '(', ')', '+', ',', '-', '.', '/', ':', '=', '?'}) ok[uint8_t(c)] = true;
  }
};
constexpr PrintableTable kPrintable;
}  // namespace

bool IsPrintableString(std::string_view s) {
  for (char c : s)
    if (!kPrintable.ok[uint8_t(c)]) return false;
  return true;
}

namespace {

// One pass: escapes s into *out. strict: returns false at the first invalid UTF-8 byte (what it wrote
// so far is the caller's to drop); otherwise such a byte becomes U+FFFD.
bool AppendJsonStringImpl(std::string_view s, bool strict, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Copy a run of bytes that need no escaping in one go.
    size_t j = i + PlainJsonRun(s.data() + i, s.size() - i);
    out->append(s.data() + i, j - i);
    i = j;
    if (i >= s.size()) break;
    uint8_t c = uint8_t(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SeqLen(s, i);
      if (n) {
        out->append(s.data() + i, n);
        i += n;
      } else {
        if (strict) return false;
        out->append("\xef\xbf\xbd");  // U+FFFD
        ++i;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->push_back('"');
  return true;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) { AppendJsonStringImpl(s, false, out); }

void AppendJsonBytes(std::string_view s, std::string* out) {
  size_t mark = out->size();
  if (AppendJsonStringImpl(s, true, out)) return;
  out->resize(mark);
  std::string decoded;
  AppendLatin1(s, &decoded);
  AppendJsonString(decoded, out);
}

void AppendJsonKey(const char* name, std::string* out) {
  out->append(",\"");
  out->append(name);
  out->append("\":");
}

void AppendJsonUint(uint64_t v, std::string* out) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->append(b, r.ptr - b);
}

}  // namespace ctdl::text
