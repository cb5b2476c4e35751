#include "cli/suggest.h"

#include <gtest/gtest.h>

namespace ctdl::cli {
namespace {

TEST(EditDistance, CountsInsertDeleteSubstitute) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("download", "download"), 0u);
  EXPECT_EQ(EditDistance("dowload", "download"), 1u);
  EXPECT_EQ(EditDistance("downlaod", "download"), 2u);  // a swap is two edits
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ClosestMatch, NearEnoughOnly) {
  std::vector<std::string> commands{"init", "status", "update-tree-size", "download"};
  EXPECT_EQ(ClosestMatch("dowload", commands), "download");
  EXPECT_EQ(ClosestMatch("stats", commands), "status");
  EXPECT_EQ(ClosestMatch("int", commands), "init");
  EXPECT_EQ(ClosestMatch("update", commands), "");  // 10 of 16 bytes differ: not a typo
  EXPECT_EQ(ClosestMatch("frobnicate", commands), "");
  EXPECT_EQ(ClosestMatch("x", {}), "");
  EXPECT_EQ(ClosestMatch("--max-inflght", {"--max-rps", "--max-inflight"}), "--max-inflight");
  std::vector<std::string> urls{"http://127.0.0.1:43193/", "https://ct.example/2026h1/"};
  EXPECT_EQ(ClosestMatch("http://127.0.0.1:1/nope/", urls, 3), "");  // 8 edits: another URL
  EXPECT_EQ(ClosestMatch("https://ct.example/2025h1/", urls, 3), "https://ct.example/2026h1/");
}

Grammar TestGrammar() {
  Grammar g;
  g.commands.push_back(
      {"", {"--state", "--archive", "-v", "--verbose", "--help", "-h"}, {"--state", "--archive"}});
  g.commands.push_back({"status", {"--json", "--help", "-h"}, {}});
  g.commands.push_back({"download", {"--max-inflight", "--no-progress", "--help"}, {"--max-inflight"}});
  return g;
}

TEST(FindUnknownWord, UnknownCommandWithSuggestion) {
  UnknownWord w = FindUnknownWord(TestGrammar(), {"dowload", "https://log.example/"});
  EXPECT_EQ(w.message, "unknown command \"dowload\"; did you mean \"download\"?");
  EXPECT_EQ(w.command, 0u);
}

TEST(FindUnknownWord, UnknownCommandListsTheCommands) {
  UnknownWord w = FindUnknownWord(TestGrammar(), {"--state", "sqlite:x.db", "frobnicate"});
  EXPECT_EQ(w.message, "unknown command \"frobnicate\"; the commands are status, download");
}

TEST(FindUnknownWord, ValueOfAFlagIsNotACommand) {
  // "status" after --state is its value; then "dowload" is the unknown command.
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {"--state", "status", "dowload"}).message,
            "unknown command \"dowload\"; did you mean \"download\"?");
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {"--state=sqlite:a", "status"}).message, "");
}

TEST(FindUnknownWord, UnknownFlagOfACommand) {
  UnknownWord w = FindUnknownWord(TestGrammar(), {"download", "--max-inflght", "3", "https://l/"});
  EXPECT_EQ(w.message,
            "unknown flag \"--max-inflght\" for `ctdl download`; did you mean \"--max-inflight\"?");
  EXPECT_EQ(w.command, 2u);
  // --name=value spelling, and a global flag offered after the command name.
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {"status", "--stat=x"}).message,
            "unknown flag \"--stat\" for `ctdl status`; did you mean \"--state\"?");
}

TEST(FindUnknownWord, SingleDashLongFlag) {
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {"-state", "x", "status"}).message,
            "unknown flag \"-state\" for `ctdl`; did you mean \"--state\"?");
}

TEST(FindUnknownWord, UnknownTopLevelFlagWithoutSuggestion) {
  UnknownWord w = FindUnknownWord(TestGrammar(), {"--bogus", "status"});
  EXPECT_EQ(w.message, "unknown flag \"--bogus\" for `ctdl`");
}

TEST(FindUnknownWord, KnownLinesAndPositionalsPass) {
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {"-vv", "--state", "x", "status", "--json"}).message, "");
  UnknownWord w = FindUnknownWord(TestGrammar(), {"download", "https://a/", "https://b/", "-v"});
  EXPECT_EQ(w.message, "");
  EXPECT_EQ(w.command, 2u);  // the command in use, for the usage line
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {"download", "--", "--not-a-flag"}).message, "");
  EXPECT_EQ(FindUnknownWord(TestGrammar(), {}).message, "");
}

}  // namespace
}  // namespace ctdl::cli
