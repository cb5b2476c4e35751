#include "sync/progress.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace ctdl {

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "?";
  uint64_t s = static_cast<uint64_t>(seconds);
  uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  if (d) return fmt::format("{}d {:02}:{:02}:{:02}", d, h, m, sec);
  if (h) return fmt::format("{}:{:02}:{:02}", h, m, sec);
  return fmt::format("{:02}:{:02}", m, sec);
}

std::string ProgressLabel(const std::string& url) {
  std::string_view u = url;
  if (auto p = u.find("://"); p != std::string_view::npos) u.remove_prefix(p + 3);
  while (!u.empty() && u.back() == '/') u.remove_suffix(1);
  if (u.size() > 32) u = u.substr(u.size() - 32);
  return std::string(u);
}

namespace {
double Percent(const LogProgress& p) {
  return p.target ? 100.0 * double(p.position) / double(p.target) : 100.0;
}
std::string Extras(const LogProgress& p) {
  std::string s;
  if (p.retries) s += fmt::format(" retries {}", p.retries);
  if (p.throttled) s += fmt::format("{} 429s {}", s.empty() ? "" : ",", p.throttled);
  if (p.bad_entries) s += fmt::format("{} bad {}", s.empty() ? "" : ",", p.bad_entries);
  return s;
}
}  // namespace

std::string FormatBar(const LogProgress& p, int width) {
  static const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  double frac = p.target ? std::clamp(double(p.position) / double(p.target), 0.0, 1.0) : 1.0;
  int eighths = static_cast<int>(frac * width * 8);
  std::string bar;
  int full = eighths / 8;
  for (int i = 0; i < full; ++i) bar += "█";
  int cells = full;
  if (full < width) {
    bar += kEighths[eighths % 8];
    if (eighths % 8) ++cells;
  }
  bar.append(width - cells, ' ');
  double rate = p.rate();
  double remaining = p.target > p.position ? double(p.target - p.position) : 0;
  std::string eta = rate > 0 ? FormatDuration(remaining / rate) : "?";
  return fmt::format("{} {:3.0f}%|{}| {}/{} [{}<{}, {:.1f} it/s]{}", ProgressLabel(p.url),
                     Percent(p), bar, p.position, p.target, FormatDuration(p.seconds), eta, rate,
                     Extras(p));
}

std::string FormatLine(const LogProgress& p, WallTime now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}+00:00: {} progress: {:.1f}% ({}/{}) {:.1f} entries/s{}", tm,
                     p.url, Percent(p), p.position, p.target, p.rate(), Extras(p));
}

std::string FormatSummary(const LogProgress& p) {
  return fmt::format(
      "{}: {} at {}/{}: {} entries, {:.1f} MB in, {:.1f} MB written ({} segments) in {}, "
      "{:.1f} entries/s, retries {}, 429s {}, bad entries {}",
      p.url, p.status.empty() ? "running" : p.status, p.committed, p.target, p.done(),
      double(p.bytes_in) / 1e6, double(p.bytes_out) / 1e6, p.segments, FormatDuration(p.seconds),
      p.rate(), p.retries, p.throttled, p.bad_entries);
}

namespace {

class TerminalProgress : public ProgressSink {
 public:
  explicit TerminalProgress(FILE* out) : out_(out) {}
  void Update(const std::vector<LogProgress>& logs) override { Draw(logs); }
  void Finish(const std::vector<LogProgress>& logs) override {
    Draw(logs);
    for (const auto& p : logs) fmt::print(out_, "{}\n", FormatSummary(p));
    std::fflush(out_);
  }

 private:
  void Draw(const std::vector<LogProgress>& logs) {
    std::string s;
    if (lines_) s += fmt::format("\x1b[{}A", lines_);
    for (const auto& p : logs) s += "\r\x1b[2K" + FormatBar(p) + "\n";
    lines_ = static_cast<int>(logs.size());
    std::fputs(s.c_str(), out_);
    std::fflush(out_);
  }
  FILE* out_;
  int lines_ = 0;
};

class LineProgress : public ProgressSink {
 public:
  LineProgress(FILE* out, Clock* clock) : out_(out), clock_(clock) {}
  void Update(const std::vector<LogProgress>& logs) override {
    for (const auto& p : logs)
      if (!p.finished) fmt::print(out_, "{}\n", FormatLine(p, clock_->WallNow()));
    std::fflush(out_);
  }
  void Finish(const std::vector<LogProgress>& logs) override {
    for (const auto& p : logs) fmt::print(out_, "{}\n", FormatSummary(p));
    std::fflush(out_);
  }

 private:
  FILE* out_;
  Clock* clock_;
};

}  // namespace

std::unique_ptr<ProgressSink> NewTerminalProgress(FILE* out) {
  return std::make_unique<TerminalProgress>(out);
}
std::unique_ptr<ProgressSink> NewLineProgress(FILE* out, Clock* clock) {
  return std::make_unique<LineProgress>(out, clock);
}

}  // namespace ctdl
