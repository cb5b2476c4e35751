#include "sink/s3_xml.h"

#include <gtest/gtest.h>

#include <random>

namespace ctdl {
namespace {

TEST(S3Xml, ElementsAreNotConfusedWithLongerTags) {
  std::string x = "<R><KeyCount>2</KeyCount><Contents><Key>a&amp;b</Key><Size>3</Size></Contents>"
                  "<Contents><Key>c</Key><Size>4</Size></Contents><Empty/><IsTruncated>false</IsTruncated></R>";
  auto c = XmlElements(x, "Contents");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(*XmlText(c[0], "Key"), "a&b");
  EXPECT_EQ(*XmlText(c[1], "Size"), "4");
  EXPECT_EQ(*XmlText(x, "KeyCount"), "2");
  EXPECT_EQ(*XmlText(x, "Key"), "a&b");
  EXPECT_EQ(*XmlText(x, "Empty"), "");
  EXPECT_FALSE(XmlText(x, "Missing").has_value());
}

TEST(S3Xml, AttributesAndEntities) {
  EXPECT_EQ(*XmlText("<ETag a=\"1\">&quot;abc&quot;</ETag>", "ETag"), "\"abc\"");
  EXPECT_EQ(XmlUnescape("&lt;&gt;&apos;&#65;&#x42;&#x20AC;&bogus;&"), "<>'AB\xE2\x82\xAC&bogus;&");
  EXPECT_EQ(XmlEscape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
  EXPECT_EQ(XmlUnescape(XmlEscape("k/\"x\" & <y>")), "k/\"x\" & <y>");
}

TEST(S3Xml, ErrorsAreParsedAndBounded) {
  S3Error e = ParseS3Error("<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>" +
                           std::string(1000, 'm') + "</Message></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message.size(), 300u);
  EXPECT_EQ(ParseS3Error("").code, "");
  EXPECT_EQ(ParseS3Error("<html>proxy error</html>").code, "");
}

TEST(S3Xml, MalformedInputNeverCrashes) {
  std::mt19937_64 rng(9);
  const std::string alphabet = "<>/&;#xKeyContents \"=a1";
  for (int i = 0; i < 2000; i++) {
    std::string s(rng() % 64, ' ');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    (void)XmlElements(s, "Key");
    (void)XmlText(s, "Contents");
    (void)ParseS3Error(s);
    (void)XmlUnescape(s);
  }
  EXPECT_TRUE(XmlElements("<Key>unterminated", "Key").empty());
  EXPECT_TRUE(XmlElements("<Key", "Key").empty());
}

}  // namespace
}  // namespace ctdl
