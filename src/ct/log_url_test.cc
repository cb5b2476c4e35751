#include "ct/log_url.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

std::string Canon(std::string_view u) {
  auto r = CanonicalLogUrl(u);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST(CanonicalLogUrl, OneFormPerLog) {
  EXPECT_EQ(Canon("HTTP://Ct.Example.COM:80/logs/Argon//"), "http://ct.example.com/logs/Argon/");
  EXPECT_EQ(Canon("https://ct.example.com:443/logs/argon"), "https://ct.example.com/logs/argon/");
  EXPECT_EQ(Canon("https://ct.example.com:8443"), "https://ct.example.com:8443/");
  EXPECT_EQ(Canon("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
  EXPECT_EQ(Canon("HTTP://127.0.0.1:8080/"), Canon("http://127.0.0.1:8080"));
  EXPECT_EQ(Canon("http://[::1]:80/x"), "http://[::1]/x/");
  EXPECT_EQ(Canon("http://[::1]:8080/x/"), "http://[::1]:8080/x/");
  EXPECT_EQ(Canon("https://a.example/x//y/"), "https://a.example/x//y/");  // inner path kept
}

TEST(CanonicalLogUrl, RefusesWhatIsNotAnHttpLog) {
  for (const char* bad :
       {"file:///etc/passwd", "ftp://ct.example/", "ct.example/log/", "https://", "https://:443/",
        "https://ct.example:0/", "https://ct.example:99999/", "https://ct.example:x/",
        "https://ct.example/?a=b", "https://ct.example/#f", "https://ct.example/a b/"}) {
    auto r = CanonicalLogUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    }
  }
}

// A static-ct-api folder (doc/sources.md): only checkpoint, tile/ and issuer/ below it are ever read.
TEST(CanonicalTiledLogUrl, FileFolders) {
  auto Tiled = [](std::string_view u) {
    auto r = CanonicalTiledLogUrl(u);
    return r.ok() ? *r : "ERROR: " + r.status().message();
  };
  EXPECT_EQ(Tiled("file:///srv/ct/log"), "file:///srv/ct/log/");
  EXPECT_EQ(Tiled("FILE://localhost/srv/ct/log//"), "file:///srv/ct/log/");
  EXPECT_EQ(Tiled("file:///"), "file:///");
  EXPECT_EQ(Tiled("HTTPS://A.example:443/x"), "https://a.example/x/");
  EXPECT_FALSE(CanonicalLogUrl("file:///srv/ct/log/").ok());  // not for RFC 6962 logs
  for (const char* bad : {"file://host/srv/log/", "file://srv/log", "file:relative", "file:///srv/../etc/",
                          "file:///srv/./log/", "file:///srv/log/..", "file:///srv/log/?x",
                          "file:///a b/"}) {
    auto r = CanonicalTiledLogUrl(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(CanonicalLogUrl, CredentialsAreRefusedAndNeverShown) {
  auto r = CanonicalLogUrl("https://alice:s3cret@ct.example/log/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("credentials"), std::string::npos);
}

TEST(CanonicalLogUrl, ControlCharactersAreRefusedAndEscaped) {
  auto r = CanonicalLogUrl("https://ct.example/log/\r\nwarning: fake");
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_EQ(m.find('\r'), std::string::npos);
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_NE(m.find("\\x0d\\x0a"), std::string::npos) << m;
}

TEST(MetadataHostWarning, LinkLocalAndMetadataHosts) {
  EXPECT_NE(MetadataHostWarning("http://169.254.169.254/latest/"), "");
  EXPECT_NE(MetadataHostWarning("http://[fe80::1]:8080/"), "");
  EXPECT_NE(MetadataHostWarning("http://metadata.google.internal/x/"), "");
  EXPECT_EQ(MetadataHostWarning("https://ct.googleapis.com/logs/argon2025h2/"), "");
  EXPECT_EQ(MetadataHostWarning("http://127.0.0.1:8080/"), "");
}

TEST(PrintableUrl, EscapesAndTruncates) {
  EXPECT_EQ(PrintableUrl("a\x01z"), "a\\x01z");
  EXPECT_EQ(PrintableUrl("https://u:p@h/x"), "https://***@h/x");
  EXPECT_EQ(PrintableUrl(std::string(300, 'a'), 10), std::string(10, 'a') + "...");
}

}  // namespace
}  // namespace ctdl
