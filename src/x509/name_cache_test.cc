#include "x509/name_cache.h"

#include <gtest/gtest.h>

#include "x509/testing_der.h"
#include "x509/text.h"

namespace ctdl::x509 {
namespace {

using namespace std::string_literals;
using testing::Atv;
using testing::kCn;
using testing::kO;

std::string Contents(const std::string& name_der) {
  der::Reader r(name_der);
  der::Tlv t;
  EXPECT_TRUE(r.Next(&t));
  return std::string(t.value);
}

// What the record had before the cache: FormatName, then the JSON string of its RFC 4514 form.
void Uncached(const std::string& value, std::string* out, Lints* lints) {
  FormattedName f;
  FormatName(value, "issuer", &f, lints);
  text::AppendJsonString(f.rfc4514, out);
}

void ExpectSame(NameJsonCache& cache, const std::string& value) {
  std::string want = "prefix", got = "prefix";
  Lints want_lints = {"earlier"}, got_lints = {"earlier"};
  Uncached(value, &want, &want_lints);
  cache.Append(value, "issuer", &got, &got_lints);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got_lints, want_lints);
}

std::vector<std::string> Names() {
  std::vector<std::string> v;
  v.push_back(Contents(testing::Cn("Example CA R1")));
  v.push_back(Contents(testing::Name({{{kCn, 0x13, "Plain CA"}}, {{kO, 0x0c, "Org, \"quoted\" + <x>"}}})));
  v.push_back(Contents(testing::Name({{{kCn, 0x0c, "#leading"}, {kO, 0x0c, " trailing "}}})));
  v.push_back(Contents(testing::Cn("caf\xc3\xa9 \xe2\x82\xac")));
  v.push_back(Contents(testing::Cn("bad \xff utf8")));                 // lint: not UTF-8
  v.push_back(Contents(testing::Cn("under_score", 0x13)));            // lint: PrintableString set
  v.push_back(Contents(testing::Cn("\x00\x41\xd8\x00"s, 0x1e)));      // lint: lone surrogate
  v.push_back(Contents(testing::Name({{{kO, 0x0c, "b"}, {kO, 0x0c, "a"}}})));  // lint: SET OF order
  v.push_back("\x31\x03\x30\x01"s);                                   // malformed ATV
  v.push_back(""s);                                                   // empty Name
  v.push_back(Contents(testing::Cn(std::string(NameJsonCache::kMaxDer + 10, 'x'))));  // not kept
  return v;
}

TEST(NameJsonCache, SameBytesAndLintsAsFormatName) {
  NameJsonCache cache;
  for (int round = 0; round < 3; ++round)
    for (const std::string& n : Names()) ExpectSame(cache, n);
  // 10 of the 11 names are kept; rounds 2 and 3 hit them (unless two share a slot).
  EXPECT_GE(cache.hits(), 10u);
}

TEST(NameJsonCache, ManyNamesSharingSlots) {
  NameJsonCache cache;
  std::vector<std::string> names;
  for (int i = 0; i < int(NameJsonCache::kSlots) * 4; ++i)
    names.push_back(Contents(testing::Cn("CA number " + std::to_string(i) + (i % 7 ? "" : ", Inc."))));
  for (int round = 0; round < 2; ++round)
    for (const std::string& n : names) ExpectSame(cache, n);
  for (int i = 0; i < 50; ++i) ExpectSame(cache, names[i % 3]);  // a few hot issuers
  EXPECT_GT(cache.hits(), 40u);
}

TEST(NameJsonCache, WhichIsPartOfTheKey) {
  NameJsonCache cache;
  std::string bad = Contents(testing::Cn("bad \xff utf8"));
  std::string out;
  Lints a, b;
  cache.Append(bad, "issuer", &out, &a);
  cache.Append(bad, "subject", &out, &b);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].rfind("issuer", 0), 0u);
  EXPECT_EQ(b[0].rfind("subject", 0), 0u);
}

}  // namespace
}  // namespace ctdl::x509
