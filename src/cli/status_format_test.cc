#include "cli/status_format.h"

#include <gtest/gtest.h>

#include "cli/json_out.h"

namespace ctdl::cli {
namespace {

LogState Log(std::string url, std::string type, uint64_t pos, uint64_t size) {
  LogState l;
  l.url = std::move(url);
  l.log_type = std::move(type);
  l.position = pos;
  l.tree_size = size;
  return l;
}

TEST(StatusFormat, Percent) {
  EXPECT_EQ(PercentComplete(Log("u", "rfc6962", 0, 0)), "-");
  EXPECT_EQ(PercentComplete(Log("u", "rfc6962", 0, 10)), "0.00%");
  EXPECT_EQ(PercentComplete(Log("u", "rfc6962", 1, 3)), "33.33%");
  EXPECT_EQ(PercentComplete(Log("u", "rfc6962", 10, 10)), "100.00%");
  EXPECT_EQ(PercentComplete(Log("u", "rfc6962", 999999, 1000000)), "99.99%");
}

TEST(StatusFormat, SortRfc6962FirstThenUrl) {
  std::vector<LogState> logs = {Log("https://b/", "tiled", 0, 0), Log("https://c/", "rfc6962", 0, 0),
                                Log("https://a/", "tiled", 0, 0), Log("https://d/", "rfc6962", 0, 0)};
  SortForDisplay(&logs);
  EXPECT_EQ(logs[0].url, "https://c/");
  EXPECT_EQ(logs[1].url, "https://d/");
  EXPECT_EQ(logs[2].url, "https://a/");
  EXPECT_EQ(logs[3].url, "https://b/");
}

TEST(StatusFormat, TableIsAligned) {
  std::string t = FormatStatusTable(
      {Log("https://short/", "rfc6962", 5, 10), Log("https://a-much-longer-url/", "tiled", 123456, 7777777)});
  EXPECT_EQ(t,
            "PercentComplete  CurrentPosition  End(tree_size)  LogType  URL\n"
            "         50.00%                5              10  rfc6962  https://short/\n"
            "          1.59%           123456         7777777  tiled    https://a-much-longer-url/\n");
}

TEST(StatusFormat, VerifiedColumns) {
  LogState done = Log("https://done/", "rfc6962", 10, 10);
  done.verified_size = 10;
  done.compact_range = "10:x";
  LogState lagging = Log("https://lag/", "rfc6962", 8, 10);
  lagging.verified_size = 5;
  lagging.compact_range = "8:x";
  LogState seed = Log("https://seed/", "rfc6962", 7, 10);  // taken over, never resumed
  LogState resumed = Log("https://resumed/", "tiled", 9, 10);
  resumed.unverified_prefix = 4;
  resumed.verified_size = 9;
  resumed.compact_range = "9:x";
  EXPECT_EQ(UnverifiedText(done), "-");
  EXPECT_EQ(UnverifiedText(lagging), "[5,8)");
  EXPECT_EQ(UnverifiedText(seed), "[0,7)");
  EXPECT_EQ(UnverifiedText(resumed), "[0,4)");
  EXPECT_FALSE(HasUnverified(done));
  EXPECT_TRUE(HasUnverified(lagging) && HasUnverified(seed) && HasUnverified(resumed));
  EXPECT_EQ(UnverifiedPrefix(seed), 7u);
  EXPECT_EQ(FormatStatusTable({done, seed}, true),
            "PercentComplete  CurrentPosition  End(tree_size)  VerifiedSize  Unverified  LogType  URL\n"
            "        100.00%               10              10            10           -  rfc6962  https://done/\n"
            "         70.00%                7              10             0       [0,7)  rfc6962  https://seed/\n");
}

TEST(StatusFormat, BehindAndAge) {
  EXPECT_EQ(BehindText(Log("u", "rfc6962", 0, 0)), "-");
  EXPECT_EQ(BehindText(Log("u", "rfc6962", 10, 10)), "0");
  EXPECT_EQ(BehindText(Log("u", "rfc6962", 12, 10)), "0");  // ahead of the stored head
  EXPECT_EQ(BehindText(Log("u", "rfc6962", 1000, 1234)), "234");
  EXPECT_EQ(BehindText(Log("u", "rfc6962", 0, 1234567)), "1.2M");
  EXPECT_EQ(BehindText(Log("u", "rfc6962", 5, 2000000005)), "2.00G");
  EXPECT_EQ(AgeText(0, 1000), "never");
  EXPECT_EQ(AgeText(1000, 1000), "0s");
  EXPECT_EQ(AgeText(1000, 900), "0s");  // a writer whose clock is ahead
  EXPECT_EQ(AgeText(1000, 1119), "119s");
  EXPECT_EQ(AgeText(1000, 1000 + 300), "5m");
  EXPECT_EQ(AgeText(1000, 1000 + 3 * 3600 + 59), "3h");
  EXPECT_EQ(AgeText(1000, 1000 + 9 * 86400), "9d");
}

TEST(StatusFormat, LagColumns) {
  LogState caught_up = Log("https://caught-up/", "rfc6962", 10, 10);
  caught_up.advanced_at = 100000 - 42;
  LogState behind = Log("https://behind/", "tiled", 1000, 1235000);
  behind.advanced_at = 100000 - 600;
  LogState never = Log("https://never/", "rfc6962", 0, 0);
  never.updated_at = 100000;  // a tree head or registration is no advance
  StatusColumns c;
  c.lag = true;
  c.now_unix = 100000;
  EXPECT_EQ(FormatStatusTable({caught_up, behind, never}, c),
            "PercentComplete  CurrentPosition  End(tree_size)  Behind  AdvancedAgo  LogType  URL\n"
            "        100.00%               10              10       0          42s  rfc6962  https://caught-up/\n"
            "          0.08%             1000         1235000    1.2M          10m  tiled    https://behind/\n"
            "              -                0               0       -        never  rfc6962  https://never/\n");
  c.verified = true;
  std::string both = FormatStatusTable({caught_up}, c);
  EXPECT_EQ(both.substr(0, both.find('\n')),
            "PercentComplete  CurrentPosition  End(tree_size)  VerifiedSize  Unverified  Behind  AdvancedAgo  "
            "LogType  URL");
  // Every row splits into as many cells as the header (no cell has a space).
  for (const std::string& t : {FormatStatusTable({caught_up, behind, never}, c)}) {
    size_t start = 0, cells = 0;
    while (start < t.size()) {
      size_t end = t.find('\n', start);
      std::string line = t.substr(start, end - start);
      size_t n = 0;
      bool in = false;
      for (char ch : line) {
        if (ch != ' ' && !in) ++n;
        in = ch != ' ';
      }
      if (cells == 0) cells = n;
      EXPECT_EQ(n, cells) << line;
      start = end + 1;
    }
    EXPECT_EQ(cells, 9u);
  }
}

TEST(StatusFormat, JsonLine) {
  LogState l = Log("https://x/\"q\"/", "tiled", 3, 4);
  l.description = "Déscription\n";
  l.submission_url = "https://s/";
  l.verified_size = 2;
  l.mmd = 60;
  l.list_state = "usable";
  EXPECT_EQ(StatusJsonLine(l),
            "{\"url\":\"https://x/\\\"q\\\"/\",\"description\":\"Déscription\\n\","
            "\"ct_log_type\":\"tiled\",\"tree_size\":4,\"current_position\":3,\"verified_size\":2,"
            "\"unverified_prefix\":3,\"remaining\":1,\"percent_complete\":75.00,\"submission_url\":\"https://s/\","
            "\"operator\":\"\",\"log_id\":\"\",\"key\":\"\",\"mmd\":60,\"state\":\"usable\","
            "\"updated_at\":0,\"advanced_at\":0}");
  l.advanced_at = 1700000123;
  EXPECT_NE(StatusJsonLine(l).find("\"advanced_at\":1700000123}"), std::string::npos);
}

TEST(StatusFormat, TreeSizeLine) {
  EXPECT_EQ(TreeSizeLine("https://a/", 150, 100),
            "Found 50 more items. New tree size: 150 old tree size: 100 url: https://a/");
  EXPECT_EQ(TreeSizeLine("https://a/", 100, 100),
            "Found 0 more items. New tree size: 100 old tree size: 100 url: https://a/");
}

TEST(JsonOut, EscapesControlAndInvalidUtf8) {
  std::string out;
  AppendJsonString(&out, std::string("a\x01\x7f\xff\xc3\xa9\\", 7));
  EXPECT_EQ(out, "\"a\\u0001\\u007f\\ufffdé\\\\\"");
}

TEST(StatusFormatTest, LearntHostRates) {
  std::vector<HostRate> rates = {{"ct.example.com", 19.5, 5, true, "Op", 100000},
                                 {"slow.example.net", 0.18, 1, false, "", 100030 - 7230}};
  EXPECT_EQ(FormatHostRates(rates, 100030),
            "rate limit learnt for ct.example.com: 19.5 req/s (burst 5; 30 s ago)\n"
            "rate limit learnt for slow.example.net: 0.18 req/s (burst 1, no Retry-After; 2 h ago)\n");
  EXPECT_EQ(FormatHostRates({}, 0), "");
  LogState l;
  l.url = "https://ct.example.com/log/";
  EXPECT_NE(StatusJsonLine(l, 19.5).find("\"learnt_rps\":19.5"), std::string::npos);
  EXPECT_EQ(StatusJsonLine(l).find("learnt_rps"), std::string::npos);
}

}  // namespace
}  // namespace ctdl::cli
