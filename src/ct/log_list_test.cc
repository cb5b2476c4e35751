#include "ct/log_list.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace ctdl {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const ListedLog* Find(const LogList& list, const std::string& url) {
  for (const auto& l : list.logs)
    if (l.url == url) return &l;
  return nullptr;
}

// Counts cross-checked with a short Python script over the same file (see testdata/SOURCES.md).
TEST(LogList, BundledSnapshot) {
  auto json = ReadFile(std::string(CTDL_SOURCE_DIR) + "/testdata/loglist/all_logs_list.json");
  ASSERT_FALSE(json.empty());
  auto list = ParseLogList(json);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->version, "78.2");
  EXPECT_EQ(list->skipped_rejected, 109);
  EXPECT_EQ(list->skipped_test, 34);
  size_t rfc = 0, tiled = 0;
  for (const auto& l : list->logs) {
    EXPECT_EQ(l.url.back(), '/');
    EXPECT_FALSE(l.log_id.empty());
    EXPECT_FALSE(l.key.empty());
    (l.log_type == "tiled" ? tiled : rfc)++;
  }
  EXPECT_EQ(rfc, 57u);
  EXPECT_EQ(tiled, 47u);
  auto with_test = ParseLogList(json, {.include_test = true});
  ASSERT_TRUE(with_test.ok());
  EXPECT_EQ(with_test->logs.size(), 104u + 34u);
  EXPECT_EQ(with_test->skipped_test, 0);
}

TEST(LogList, FieldsAndNormalization) {
  const char* json = R"({"version":"1","operators":[{"name":"Op A","email":["x@y"],"unknown":1,
    "logs":[{"description":"A 2026","log_id":"aWQ=","key":"a2V5","url":"https://a.example/2026",
             "mmd":86400,"state":{"usable":{"timestamp":"2024-01-01T00:00:00Z"}},"extra":[1,2]},
            {"description":"Rejected","log_id":"cg==","key":"cg==","url":"https://r.example/",
             "mmd":86400,"state":{"rejected":{}}},
            {"description":"Test","log_id":"dA==","key":"dA==","url":"https://t.example/",
             "mmd":60,"log_type":"test"}],
    "tiled_logs":[{"description":"T 2026","log_id":"dGlk","key":"dGtleQ==",
             "monitoring_url":"https://mon.example/t2026","submission_url":"https://sub.example/t2026/",
             "mmd":60,"state":{"qualified":{}}}]}]})";
  auto list = ParseLogList(json);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->logs.size(), 2u);
  EXPECT_EQ(list->skipped_rejected, 1);
  EXPECT_EQ(list->skipped_test, 1);
  const ListedLog* a = Find(*list, "https://a.example/2026/");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->log_type, "rfc6962");
  EXPECT_EQ(a->description, "A 2026");
  EXPECT_EQ(a->operator_name, "Op A");
  EXPECT_EQ(a->log_id, "aWQ=");
  EXPECT_EQ(a->key, "a2V5");
  EXPECT_EQ(a->mmd, 86400);
  EXPECT_EQ(a->state, "usable");
  const ListedLog* t = Find(*list, "https://mon.example/t2026/");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->log_type, "tiled");
  EXPECT_EQ(t->submission_url, "https://sub.example/t2026/");
  EXPECT_EQ(t->state, "qualified");
}

TEST(LogList, MissingFieldNamesTheLog) {
  const char* json = R"({"operators":[{"name":"Op","logs":[
      {"description":"Broken Log","log_id":"aWQ=","url":"https://b.example/","mmd":1}]}]})";
  auto list = ParseLogList(json);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), Code::kCorrupt);
  EXPECT_NE(list.status().message().find("Broken Log"), std::string::npos);
  EXPECT_NE(list.status().message().find("\"key\""), std::string::npos);

  const char* tiled = R"({"operators":[{"name":"Op","tiled_logs":[
      {"log_id":"aWQ=","key":"aWQ=","monitoring_url":"https://m.example/","mmd":1}]}]})";
  auto t = ParseLogList(tiled);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("https://m.example/"), std::string::npos);
  EXPECT_NE(t.status().message().find("submission_url"), std::string::npos);

  // A rejected log with missing fields does not matter: it is skipped.
  const char* rejected = R"({"operators":[{"name":"Op","logs":[
      {"description":"Old","state":{"rejected":{}}}]}]})";
  EXPECT_TRUE(ParseLogList(rejected).ok());
}

TEST(LogList, RejectsMalformed) {
  for (const char* bad : {"", "not json", "[]", "{}", R"({"operators":{}})", R"({"operators":[1]})",
                          R"({"operators":[{"logs":{}}]})",
                          R"({"operators":[{"logs":[{"log_id":"a","key":"b","url":"u","mmd":"x"}]}]})",
                          R"({"operators":[{"logs":[{"log_id":"a","key":"b","url":"u","mmd":1,
                              "state":{"usable":{},"retired":{}}}]}]})",
                          R"({"operators":[{"logs":[{"log_id":"a","key":"b","url":7,"mmd":1}]}]})"}) {
    auto r = ParseLogList(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorrupt) << bad;
    }
  }
}

TEST(LogList, DuplicateUrlKeepsFirst) {
  const char* json = R"({"operators":[{"name":"Op",
    "logs":[{"description":"one","log_id":"a","key":"b","url":"https://x.example/","mmd":1}],
    "tiled_logs":[{"description":"two","log_id":"a","key":"b","monitoring_url":"https://x.example",
                   "submission_url":"https://x.example/","mmd":1}]}]})";
  auto list = ParseLogList(json);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->logs.size(), 1u);
  EXPECT_EQ(list->logs[0].description, "one");
  EXPECT_EQ(list->warnings.size(), 1u);
}

}  // namespace
}  // namespace ctdl

namespace ctdl {
namespace {

TEST(LogListMutations, NeverCrash) {
  std::string json = ReadFile(std::string(CTDL_SOURCE_DIR) + "/testdata/loglist/all_logs_list.json");
  json = json.substr(0, 20000);  // the first operators; broken JSON tail is part of the test
  std::mt19937 rng(777);
  for (int i = 0; i < 400; ++i) {
    std::string s = json;
    for (int e = 0; e < 3; ++e) {
      size_t pos = rng() % s.size();
      if (rng() % 2)
        s[pos] = "{}[]\":,0a "[rng() % 10];
      else
        s.erase(pos, 1 + rng() % 20);
    }
    auto r = ParseLogList(s);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorrupt);
    }
  }
}

}  // namespace
}  // namespace ctdl
