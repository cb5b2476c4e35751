#include "ct/tree_head.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace ctdl {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(CTDL_SOURCE_DIR) + "/testdata/tree_head/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ParseGetSth, RealReply) {
  auto sth = ParseGetSth(ReadTestdata("ctgo-get-sth.json"));
  ASSERT_TRUE(sth.ok()) << sth.status().ToString();
  EXPECT_EQ(sth->tree_size, 3721782u);
  EXPECT_EQ(sth->timestamp, 1396609800587u);
  EXPECT_EQ(Base64Encode(AsView(sth->root_hash)), "SxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=");
  ASSERT_GE(sth->signature.size(), 4u);
  EXPECT_EQ(sth->signature[0], 4);  // sha256
  EXPECT_EQ(sth->signature[1], 3);  // ecdsa
}

TEST(ParseGetSth, RejectsMalformed) {
  const std::string root = "\"SxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\"";
  const std::string sig = "\"BAMAAA==\"";  // 04 03 0000: empty signature, well-formed
  auto make = [&](std::string size, std::string ts, std::string r, std::string s) {
    return "{\"tree_size\":" + size + ",\"timestamp\":" + ts + ",\"sha256_root_hash\":" + r +
           ",\"tree_head_signature\":" + s + "}";
  };
  EXPECT_TRUE(ParseGetSth(make("5", "6", root, sig)).ok());
  EXPECT_TRUE(ParseGetSth(make("4611686018427387904", "6", root, sig)).ok());  // 2^62: the limit
  const std::vector<std::string> bad = {
      "",
      "[]",
      "{\"tree_size\":1",
      make("-1", "6", root, sig),
      make("\"5\"", "6", root, sig),
      make("5.5", "6", root, sig),
      make("5", "6", "\"AAAA\"", sig),  // 3-byte root
      make("5", "6", "\"not base64!\"", sig),
      make("5", "6", root, "\"BAMAAQ==\""),          // length 1 but no byte
      make("4611686018427387905", "6", root, sig),   // 2^62 + 1: implausible
      make("9223372036854775808", "6", root, sig),   // 2^63
      make("18446744073709551615", "6", root, sig),  // 2^64 - 1
  };
  for (const auto& b : bad) {
    auto r = ParseGetSth(b);
    EXPECT_FALSE(r.ok()) << b;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorrupt);
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  auto missing = ParseGetSth("{\"tree_size\":5,\"timestamp\":6,\"sha256_root_hash\":" + root + "}");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("tree_head_signature"), std::string::npos);
}

TEST(ParseCheckpoint, SycamoreWithGreaseAndCosignatures) {
  auto cp = ParseCheckpoint(ReadTestdata("sycamore2026h1-signed-note.txt"));
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "log.sycamore.ct.letsencrypt.org/2026h1");
  EXPECT_EQ(cp->size, 804475391u);
  EXPECT_EQ(Base64Encode(AsView(cp->root_hash)), "c3k2gkKg8h3egIcrhvRi2+JQeid6pmZgfmOGzkrfW8o=");
  EXPECT_TRUE(cp->extensions.empty());
  EXPECT_EQ(cp->body,
            "log.sycamore.ct.letsencrypt.org/2026h1\n804475391\n"
            "c3k2gkKg8h3egIcrhvRi2+JQeid6pmZgfmOGzkrfW8o=\n");
  ASSERT_EQ(cp->signatures.size(), 4u);
  EXPECT_EQ(cp->signatures[1].name, "grease.invalid");
  // "EEuevw..." -> key id 0x104b9ebf, then uint64 timestamp and a DigitallySigned.
  EXPECT_EQ(cp->signatures[2].key_id, 0x104b9ebfu);
  EXPECT_EQ(cp->signatures[2].signature.size() + 4,
            Base64Decode("EEuevwAAAZvxTCC+BAMARzBFAiEA3lEXjo2X8WCoI9FqQmHfC8sDnMySAkyLcFNlBz1WEngCIF"
                         "BDO/QdjciFv3ir1trCgnVok/izEZUkykj1IQVSzYHv")
                ->size());
  EXPECT_EQ(cp->signatures[0].key_id, 0xa75b5f8cu);  // p1tfjA...
}

TEST(ParseCheckpoint, ArcheWithWitnesses) {
  auto cp = ParseCheckpoint(ReadTestdata("arche2026h1-signed-note.txt"));
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "arche2026h1.staging.ct.transparency.dev");
  EXPECT_EQ(cp->size, 1822167730u);
  ASSERT_EQ(cp->signatures.size(), 7u);
  EXPECT_EQ(cp->signatures[2].name, "transparency.dev/DEV:witness-little-garden");
}

TEST(ParseCheckpoint, Extensions) {
  std::string note =
      "example.com/log\n10\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\next one\next two\n\n"
      "\xe2\x80\x94 example.com/log AAAAAQE=\n";
  auto cp = ParseCheckpoint(note);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->size, 10u);
  EXPECT_EQ(cp->extensions, (std::vector<std::string>{"ext one", "ext two"}));
  ASSERT_EQ(cp->signatures.size(), 1u);
  EXPECT_EQ(cp->signatures[0].key_id, 1u);
  EXPECT_EQ(cp->signatures[0].signature, "\x01");
}

TEST(ParseCheckpoint, ImplausibleTreeSizes) {
  const std::string rest = "\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n\n\xe2\x80\x94 o AAAAAQE=\n";
  EXPECT_TRUE(ParseCheckpoint("o\n4611686018427387904" + rest).ok());  // 2^62: the limit
  for (const char* size : {"4611686018427387905", "9223372036854775808", "18446744073709551615"}) {
    auto cp = ParseCheckpoint("o\n" + std::string(size) + rest);
    ASSERT_FALSE(cp.ok()) << size;
    EXPECT_NE(cp.status().message().find("implausible"), std::string::npos) << cp.status().message();
  }
}

TEST(ParseCheckpoint, RejectsMalformed) {
  const std::string body = "o\n10\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n";
  const std::string sig = "\xe2\x80\x94 o AAAAAQE=\n";
  ASSERT_TRUE(ParseCheckpoint(body + "\n" + sig).ok());
  const std::vector<std::string> bad = {
      "",
      body,                                                              // no signatures
      body + "\n",                                                       // blank line but no signatures
      body + "\n" + "\xe2\x80\x94 o AAAAAQE=",                           // no final newline
      body + "\n" + "- o AAAAAQE=\n",                                    // ASCII dash
      body + "\n" + "\xe2\x80\x94 o\n",                                  // no signature
      body + "\n" + "\xe2\x80\x94  AAAAAQE=\n",                          // empty name
      body + "\n" + "\xe2\x80\x94 a+b AAAAAQE=\n",                       // '+' in name
      body + "\n" + "\xe2\x80\x94 o AAAAAQ==\n",                         // 4 bytes: too short
      body + "\n" + "\xe2\x80\x94 o AAAA!QE=\n",                         // bad base64
      body + "\n" + sig + "garbage\n",                                   // trailing non-signature line
      "o\n10\n\n" + sig,                                                 // two body lines
      "\n10\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n\n" + sig,    // empty origin
      "o\n010\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n\n" + sig,  // leading zero
      "o\n-1\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n\n" + sig,
      "o\n99999999999999999999\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n\n" + sig,
      "o\n10\nAAAA\n\n" + sig,                                               // short root
      "o\n10\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\n\nx\n\n" + sig,  // empty ext line
      "o\n10\nSxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=\r\n\n" + sig,     // CR
  };
  for (const auto& b : bad) {
    auto r = ParseCheckpoint(b);
    EXPECT_FALSE(r.ok()) << b;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorrupt);
    }
  }
}

}  // namespace
}  // namespace ctdl

namespace ctdl {
namespace {

// Hostile bytes: thousands of deterministic mutations (flip, truncate, insert) of real inputs must
// parse or fail with kCorrupt, never crash. Run under CTDL_SANITIZE for memory errors.
std::string Mutate(const std::string& in, std::mt19937& rng) {
  std::string s = in;
  int edits = 1 + rng() % 4;
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s[pos] = static_cast<char>(rng());
        break;
      case 1:
        s.resize(pos);
        break;
      case 2:
        s.insert(pos, 1, "\n \xe2\x80\x94=+/0{}\":,"[rng() % 15]);
        break;
      case 3:
        s.erase(pos, 1 + rng() % 8);
        break;
    }
  }
  return s;
}

TEST(TreeHeadMutations, NeverCrash) {
  std::mt19937 rng(12345);
  const std::string sth = ReadTestdata("ctgo-get-sth.json");
  const std::string note = ReadTestdata("sycamore2026h1-signed-note.txt");
  int ok = 0;
  for (int i = 0; i < 3000; ++i) {
    auto a = ParseGetSth(Mutate(sth, rng));
    auto b = ParseCheckpoint(Mutate(note, rng));
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), Code::kCorrupt);
    }
    if (!b.ok()) {
      EXPECT_EQ(b.status().code(), Code::kCorrupt);
    }
    ok += a.ok() + b.ok();
  }
  EXPECT_LT(ok, 6000);  // mutations must actually break most inputs
}

}  // namespace
}  // namespace ctdl
