#include "sync/progress.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace ctdl {
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

TEST(Progress, Duration) {
  EXPECT_EQ(FormatDuration(0), "00:00");
  EXPECT_EQ(FormatDuration(62), "01:02");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2d 03:04:05");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(Progress, LineLikeTheSeed) {
  LogProgress p = Sample();
  WallTime t = std::chrono::system_clock::from_time_t(1770180490);  // 2026-02-04T04:48:10Z
  EXPECT_EQ(FormatLine(p, t),
            "2026-02-04T04:48:10+00:00: https://ct.example.com/logs/argon2025h2/ progress: 3.5% "
            "(694880/19799242) 6948.8 entries/s");
  p.retries = 3;
  p.throttled = 2;
  EXPECT_NE(FormatLine(p, t).find("retries 3, 429s 2"), std::string::npos);
}

TEST(Progress, Bar) {
  LogProgress p = Sample();
  std::string bar = FormatBar(p, 10);
  EXPECT_EQ(bar.rfind("ct.example.com/logs/argon2025h2", 0), 0u) << bar;
  EXPECT_NE(bar.find("  4%|"), std::string::npos) << bar;
  EXPECT_NE(bar.find("| 694880/19799242 [01:40<"), std::string::npos) << bar;
  EXPECT_NE(bar.find("6948.8 it/s]"), std::string::npos) << bar;
  EXPECT_EQ(bar.find("retries"), std::string::npos);
  p.throttled = 4;
  EXPECT_NE(FormatBar(p, 10).find("429s 4"), std::string::npos);
  p.position = p.target;
  EXPECT_NE(FormatBar(p, 4).find("100%|████|"), std::string::npos) << FormatBar(p, 4);
  p.target = 0;  // empty log
  EXPECT_NE(FormatBar(p, 4).find("100%"), std::string::npos);
}

TEST(Progress, Summary) {
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

TEST(Progress, TerminalRedrawsInPlace) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  auto sink = NewTerminalProgress(f);
  std::vector<LogProgress> logs = {Sample(), Sample()};
  logs[1].url = "https://other.example/";
  sink->Update(logs);
  sink->Update(logs);
  logs[0].status = logs[1].status = "complete";
  sink->Finish(logs);
  std::fclose(f);
  std::string out(buf, len);
  free(buf);
  EXPECT_NE(out.find("\x1b[2A"), std::string::npos);  // second draw moves up over both bars
  EXPECT_NE(out.find("other.example"), std::string::npos);
  EXPECT_NE(out.find("https://other.example/: complete"), std::string::npos);
}

}  // namespace
}  // namespace ctdl
