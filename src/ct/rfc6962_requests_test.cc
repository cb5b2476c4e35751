#include "ct/rfc6962_requests.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

TEST(Rfc6962Requests, Urls) {
  EXPECT_EQ(NormalizeLogUrl("https://ct.example/log"), "https://ct.example/log/");
  EXPECT_EQ(NormalizeLogUrl("https://ct.example/log/"), "https://ct.example/log/");
  EXPECT_EQ(GetSthUrl("https://ct.example/log"), "https://ct.example/log/ct/v1/get-sth");
  EXPECT_EQ(GetEntriesUrl("https://ct.example/log/", 10, 20),
            "https://ct.example/log/ct/v1/get-entries?start=10&end=19");
  EXPECT_EQ(UrlHost("http://127.0.0.1:8080/a/b/"), "http://127.0.0.1:8080");
  EXPECT_EQ(UrlHost("https://h"), "https://h");
}

TEST(Rfc6962Requests, AlignedRequestEnd) {
  EXPECT_EQ(AlignedRequestEnd(0, 1000, 256), 256u);
  EXPECT_EQ(AlignedRequestEnd(100, 1000, 256), 256u);
  EXPECT_EQ(AlignedRequestEnd(256, 1000, 256), 512u);
  EXPECT_EQ(AlignedRequestEnd(900, 1000, 256), 1000u);
  EXPECT_EQ(AlignedRequestEnd(5, 6, 0), 6u);
}

TEST(Rfc6962Requests, CapFromAlignedStart) {
  CapDiscovery c;
  EXPECT_FALSE(c.known());
  EXPECT_EQ(c.RequestSize(), CapDiscovery::kProbeEntries);
  c.Observe(0, 1024, 32);  // Google: 32
  EXPECT_EQ(c.cap(), 32u);
}

TEST(Rfc6962Requests, CapFromAligningLogAtUnalignedStart) {
  CapDiscovery c;
  c.Observe(100, 1024, 156);  // Let's Encrypt: answers up to the next multiple of 256
  EXPECT_FALSE(c.known());
  c.Observe(256, 1024, 256);
  EXPECT_EQ(c.cap(), 256u);
}

TEST(Rfc6962Requests, CapFromRepeatedShortReplies) {
  CapDiscovery c;
  c.Observe(100, 1024, 64);
  EXPECT_FALSE(c.known());
  c.Observe(164, 1024, 64);
  EXPECT_EQ(c.cap(), 64u);
}

TEST(Rfc6962Requests, FullProbeMeansCapAtLeastProbe) {
  CapDiscovery c;
  c.Observe(0, 10, 10);  // a small request answered in full says nothing
  EXPECT_FALSE(c.known());
  c.Observe(10, 1024, 1024);
  EXPECT_EQ(c.cap(), 1024u);
  c.Observe(2000, 1024, 5);  // once known, it stays
  EXPECT_EQ(c.cap(), 1024u);
}

TEST(Rfc6962Requests, ZeroEntriesTeachNothing) {
  CapDiscovery c;
  c.Observe(0, 1024, 0);
  EXPECT_FALSE(c.known());
}

}  // namespace
}  // namespace ctdl
