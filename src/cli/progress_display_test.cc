#include "cli/progress_display.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace ctdl::cli {
namespace {

LogProgress Sample() {
  LogProgress p;
  p.url = "https://ct.example.com/logs/argon2025h2/";
  p.start = 0;
  p.position = 694880;
  p.committed = 600000;
  p.target = 19799242;
  p.tree_size = 19799242;
  p.seconds = 100;
  return p;
}

TEST(ProgressFormat, Duration) {
  EXPECT_EQ(FormatDuration(0), "00:00");
  EXPECT_EQ(FormatDuration(62), "01:02");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2d 03:04:05");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(ProgressFormat, CompactNumbersAndCells) {
  EXPECT_EQ(CompactNumber(99999), "99999");
  EXPECT_EQ(CompactNumber(123456), "123.5k");
  EXPECT_EQ(CompactNumber(12345678), "12.3M");
  EXPECT_EQ(CompactNumber(1234567890), "1.23G");
  EXPECT_EQ(Cells("█▏ab"), 4);
  EXPECT_EQ(FitCells("abcdef", 4), "abc…");
  EXPECT_EQ(FitCells("abc", 4), "abc");
  EXPECT_EQ(ProgressLabel("https://ct.example.com/logs/argon2025h2/", 12), "…argon2025h2");
}

TEST(ProgressFormat, LineLikeTheSeed) {
  LogProgress p = Sample();
  WallTime t = std::chrono::system_clock::from_time_t(1770180490);  // 2026-02-04T04:48:10Z
  EXPECT_EQ(FormatLine(p, t),
            "2026-02-04T04:48:10+00:00: https://ct.example.com/logs/argon2025h2/ progress: 3.5% "
            "(694880/19799242) 6948.8 entries/s");
  p.retries = 3;
  p.throttled = 2;
  EXPECT_NE(FormatLine(p, t).find("retries 3, 429s 2"), std::string::npos);
}

TEST(ProgressFormat, BarAtWideWidth) {
  LogProgress p = Sample();
  std::string bar = FormatBar(p, 160, 31);
  EXPECT_EQ(bar.rfind("ct.example.com/logs/argon2025h2   4%|", 0), 0u) << bar;
  EXPECT_NE(bar.find("| 694880/19799242 [01:40<"), std::string::npos) << bar;
  EXPECT_NE(bar.find("6948.8 it/s]"), std::string::npos) << bar;
  EXPECT_EQ(Cells(bar), 160) << bar;  // the bar takes the room that is left
  p.throttled = 4;
  EXPECT_NE(FormatBar(p, 160, 31).find("429s 4"), std::string::npos);
}

TEST(ProgressFormat, BarsFitEveryWidth) {
  LogProgress p = Sample();
  p.retries = 12345;
  p.throttled = 678;
  p.position = 1234567890;
  p.target = 2234567890;
  for (int w = 20; w <= 200; ++w) {
    std::string bar = FormatBar(p, w, 31);
    EXPECT_LE(Cells(bar), w) << bar;
  }
  std::string at80 = FormatBar(p, 79, 31);
  EXPECT_NE(at80.find("it/s]"), std::string::npos) << at80;  // details go before the rate does
  EXPECT_NE(at80.find("|█"), std::string::npos) << at80;
}

TEST(ProgressFormat, NoHundredPercentOfNothing) {
  LogProgress p = Sample();
  p.target = 0;  // tree head not read yet
  p.position = 0;
  std::string bar = FormatBar(p, 80, 20);
  EXPECT_EQ(bar.find("100%"), std::string::npos) << bar;
  EXPECT_EQ(bar.find("0/0"), std::string::npos) << bar;
  EXPECT_NE(bar.find("reading the tree head"), std::string::npos) << bar;
  p.status = "ct.example.com: TLS certificate not accepted";  // reading it failed: unknown, not 0
  p.committed = 0;
  EXPECT_EQ(FormatLine(p, WallTime{}).find("(0/0)"), std::string::npos) << FormatLine(p, WallTime{});
  EXPECT_NE(FormatLine(p, WallTime{}).find("0.0% (0/?)"), std::string::npos) << FormatLine(p, WallTime{});
  EXPECT_NE(FormatSummary(p).find("accepted at 0/?"), std::string::npos) << FormatSummary(p);
  p.status = "";
  p.position = p.target = 10;
  p.start = 0;
  EXPECT_NE(FormatBar(p, 80, 20).find("100%"), std::string::npos);
  p.position = 9999;
  p.target = 10000;
  EXPECT_NE(FormatBar(p, 80, 20).find(" 99%"), std::string::npos);  // never 100% before the end
}

TEST(ProgressFormat, FinishedBarIsFrozenAndSaysSo) {
  LogProgress p = Sample();
  p.position = p.committed = p.target;
  p.finished = true;
  p.status = "complete";
  p.recent_rate = 1;  // ignored once finished: the average stays
  std::string bar = FormatBar(p, 120, 31);
  EXPECT_NE(bar.find("complete"), std::string::npos) << bar;
  EXPECT_NE(bar.find("197992.4 it/s]"), std::string::npos) << bar;
  EXPECT_EQ(bar.find("<"), std::string::npos) << bar;  // no ETA
  p.status = "https://x/: HTTP 404 (retrying will not help)";
  EXPECT_NE(FormatBar(p, 120, 31).find("error: https://x/: HTTP 404"), std::string::npos);
}

TEST(ProgressFormat, TableOneLinePerActiveLog) {
  std::vector<LogProgress> logs;
  for (int i = 0; i < 100; ++i) {
    LogProgress p = Sample();
    p.url = "https://ct" + std::to_string(i) + ".example.com/log/";
    p.following = true;
    p.activity = "caught up";
    p.position = p.committed = p.target = p.tree_size = 1000;
    if (i < 3) {
      p.position = p.committed = 10 * i;
      p.activity = "downloading";
    }
    logs.push_back(p);
  }
  logs[99].finished = true;
  logs[99].status = "complete (readonly)";
  for (int w : {80, 160}) {
    auto lines = FormatTable(logs, w, 24);
    ASSERT_EQ(lines.size(), 5u);  // header, 3 active, summary
    for (const auto& l : lines) EXPECT_LT(Cells(l), w) << l;
    EXPECT_NE(lines[1].find("ct0.example.com"), std::string::npos) << lines[1];  // most behind first
    EXPECT_NE(lines[4].find("100 logs: 3 active, 96 caught up, 1 finished, 0 failed"), std::string::npos)
        << lines[4];
  }
  auto few = FormatTable(logs, 80, 5);
  EXPECT_EQ(few.size(), 4u);
  EXPECT_NE(few.back().find("(+1 not shown)"), std::string::npos) << few.back();
}

TEST(ProgressFormat, Summary) {
  LogProgress p = Sample();
  p.status = "stopped at 600000";
  p.bytes_in = 5000000;
  p.bytes_out = 1000000;
  p.segments = 6;
  p.bad_entries = 1;
  std::string s = FormatSummary(p);
  EXPECT_NE(s.find("stopped at 600000 at 600000/19799242: 694880 entries, 5.0 MB in, 1.0 MB written "
                   "(6 segments) in 01:40, 6948.8 entries/s, retries 0, 429s 0, bad entries 1"),
            std::string::npos)
      << s;
}

TEST(ProgressDisplay, TerminalRedrawsInPlaceAndKeepsMessages) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  std::atomic<int> stop{0};
  {
    auto sink = NewTerminalDisplay(f, -1, &stop);  // not a terminal: 80 columns
    std::vector<LogProgress> logs = {Sample(), Sample()};
    logs[1].url = "https://other.example/";
    sink->Update(logs);
    sink->Update(logs);
    stop = 1;
    sink->Update(logs);
    logs[0].status = logs[1].status = "complete";
    logs[0].finished = logs[1].finished = true;
    sink->Finish(logs);
  }
  std::fclose(f);
  std::string out(buf, len);
  free(buf);
  EXPECT_NE(out.find("\x1b[2A"), std::string::npos);  // second draw moves up over both bars
  EXPECT_NE(out.find("other.example"), std::string::npos);
  EXPECT_NE(out.find("ctdl: stopping"), std::string::npos);
  EXPECT_NE(out.find("https://other.example/: complete"), std::string::npos);
  // The message is printed once and never erased afterwards: after it, no cursor-up goes above it.
  size_t msg = out.find("ctdl: stopping");
  EXPECT_EQ(out.find("ctdl: stopping", msg + 1), std::string::npos);
}

TEST(ProgressDisplay, StopAfterTheLastUpdateIsStillShown) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  std::atomic<int> stop{0};
  {
    auto sink = NewTerminalDisplay(f, -1, &stop);
    std::vector<LogProgress> logs = {Sample()};
    sink->Update(logs);
    stop = 1;  // the run ends before the next Update: only Finish sees the stop
    logs[0].status = "stopped at 600000";
    logs[0].finished = true;
    sink->Finish(logs);
  }
  std::fclose(f);
  std::string out(buf, len);
  free(buf);
  EXPECT_NE(out.find("ctdl: stopping"), std::string::npos) << out;
}

}  // namespace
}  // namespace ctdl::cli
