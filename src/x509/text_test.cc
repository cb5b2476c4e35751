// text.cc's scans go 16 bytes at a time where SSE2 is there: checked here against byte-at-a-time
// references on strings where the byte that matters sits at every position, in and after a block.
#include "x509/text.h"

#include <gtest/gtest.h>

#include <random>

namespace ctdl::text {
namespace {

using namespace std::string_literals;

// References: the definitions, one byte at a time.
size_t RefUtf8Len(std::string_view s, size_t i) {
  uint8_t c = uint8_t(s[i]);
  size_t n = s.size() - i;
  auto cont = [&](size_t k) { return k < n && (uint8_t(s[i + k]) & 0xc0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    uint8_t b1 = uint8_t(s[i + 1]);
    if ((c == 0xe0 && b1 < 0xa0) || (c == 0xed && b1 >= 0xa0)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    uint8_t b1 = uint8_t(s[i + 1]);
    if ((c == 0xf0 && b1 < 0x90) || (c == 0xf4 && b1 >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

bool RefValid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = RefUtf8Len(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

std::string RefJson(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint8_t c = uint8_t(s[i]);
    if (c >= 0x80) {
      size_t n = RefUtf8Len(s, i);
      if (n) out.append(s.substr(i, n)), i += n;
      else out.append("\xef\xbf\xbd"), ++i;
      continue;
    }
    ++i;
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\b') out += "\\b";
    else if (c == '\f') out += "\\f";
    else if (c < 0x20) out += "\\u00"s + kHex[c >> 4] + kHex[c & 15];
    else out.push_back(char(c));
  }
  return out + "\"";
}

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

const std::string kSpecials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                 "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xed\xa0\x80", "\x00"s};

TEST(Text, OneSpecialByteAtEveryPosition) {
  for (size_t len = 0; len <= 40; ++len)
    for (size_t pos = 0; pos <= len; ++pos)
      for (const std::string& sp : kSpecials) {
        std::string s = std::string(pos, 'a') + sp + std::string(len - pos, 'z');
        SCOPED_TRACE(testing::Message() << "len " << len << " pos " << pos);
        ASSERT_EQ(Json(s), RefJson(s));
        ASSERT_EQ(IsValidUtf8(s), RefValid(s));
      }
}

TEST(Text, RandomStringsMatchTheReferences) {
  std::mt19937 rng(15);
  const char alphabet[] = "abcXYZ019 .,-\"\\\n\t\x01\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xed\xa0";
  for (int t = 0; t < 20000; ++t) {
    std::string s;
    size_t len = rng() % 70;
    bool ascii = rng() % 2;  // long plain runs, as in real names, or dense specials
    for (size_t i = 0; i < len; ++i)
      s.push_back(ascii && rng() % 20 ? char('a' + rng() % 26) : alphabet[rng() % (sizeof alphabet - 1)]);
    ASSERT_EQ(Json(s), RefJson(s)) << t;
    ASSERT_EQ(IsValidUtf8(s), RefValid(s)) << t;
  }
  EXPECT_TRUE(IsValidUtf8(std::string(100, 'a') + "\xc3\xa9" + std::string(20, 'b')));
  EXPECT_FALSE(IsValidUtf8(std::string(33, 'a') + "\x80"));
  EXPECT_EQ(Json(std::string(17, 'a') + "\""), "\"" + std::string(17, 'a') + "\\\"\"");
}

TEST(Text, PrintableString) {
  const std::string punct = " '()+,-./:=?";
  for (int c = 0; c < 256; ++c) {
    std::string s(1, char(c));
    bool want = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                (c && punct.find(char(c)) != std::string::npos);
    EXPECT_EQ(IsPrintableString("Ab" + s), want) << c;
  }
  EXPECT_TRUE(IsPrintableString(""));
}

}  // namespace
}  // namespace ctdl::text
