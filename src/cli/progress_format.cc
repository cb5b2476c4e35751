// Pure formatting of progress (cli/progress_display.h): bars, table, lines, summaries.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "cli/progress_display.h"

namespace ctdl::cli {

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "?";
  uint64_t s = static_cast<uint64_t>(seconds);
  uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  if (d) return fmt::format("{}d {:02}:{:02}:{:02}", d, h, m, sec);
  if (h) return fmt::format("{}:{:02}:{:02}", h, m, sec);
  return fmt::format("{:02}:{:02}", m, sec);
}

std::string CompactNumber(uint64_t n) {
  if (n < 100000) return std::to_string(n);
  if (n < 100000000) return n < 1000000 ? fmt::format("{:.1f}k", n / 1e3) : fmt::format("{:.1f}M", n / 1e6);
  if (n < 1000000000) return fmt::format("{:.0f}M", n / 1e6);
  return fmt::format("{:.2f}G", n / 1e9);
}

int Cells(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string FitCells(std::string_view s, int width) {
  if (width <= 0) return "";
  if (Cells(s) <= width) return std::string(s);
  std::string out;
  int cells = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if ((c & 0xC0) != 0x80 && ++cells > width - 1) break;
    out += s[i];
  }
  return out + "…";
}

std::string ProgressLabel(const std::string& url, int max_cells) {
  std::string_view u = url;
  if (auto p = u.find("://"); p != std::string_view::npos) u.remove_prefix(p + 3);
  while (!u.empty() && u.back() == '/') u.remove_suffix(1);
  if (static_cast<int>(u.size()) > max_cells && max_cells > 1)
    return "…" + std::string(u.substr(u.size() - (max_cells - 1)));
  return std::string(u);
}

namespace {

std::string Pad(std::string s, int cells) {
  int n = Cells(s);
  if (n < cells) s.append(cells - n, ' ');
  return s;
}

// 0..100, and 100 only when everything is in.
int Percent(const LogProgress& p) {
  if (!p.target) return 0;
  double pct = 100.0 * double(std::min(p.position, p.target)) / double(p.target);
  int r = static_cast<int>(pct + 0.5);
  return p.position < p.target ? std::min(r, 99) : 100;
}

std::string Extras(const LogProgress& p) {
  std::string s;
  auto add = [&](const char* what, uint64_t n) {
    if (n) s += fmt::format("{}{} {}", s.empty() ? " " : ", ", what, n);
  };
  add("retries", p.retries);
  add("429s", p.throttled);
  add("bad", p.bad_entries);
  return s;
}

// What a bar ends with: the final status, or what a followed log is doing.
std::string StateWord(const LogProgress& p) {
  if (p.finished) return p.status.rfind("complete", 0) == 0 ? "complete" : "stopped";
  if (!p.following) return "";
  std::string_view a = p.activity;
  return std::string(a.substr(0, a.find(':')));
}

bool Failed(const LogProgress& p) {
  return p.finished && p.status.rfind("complete", 0) != 0 && p.status.rfind("stopped at", 0) != 0;
}

std::string Bar(double frac, int width) {
  static const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  int eighths = static_cast<int>(std::clamp(frac, 0.0, 1.0) * width * 8);
  std::string bar;
  int full = eighths / 8, cells = full;
  for (int i = 0; i < full; ++i) bar += "█";
  if (full < width && eighths % 8) {
    bar += kEighths[eighths % 8];
    ++cells;
  }
  bar.append(width - cells, ' ');
  return bar;
}

}  // namespace

std::string FormatBar(const LogProgress& p, int width, int label_cells) {
  std::string label = ProgressLabel(p.url, label_cells);
  if (Failed(p)) return FitCells(Pad(label, label_cells) + "  error: " + p.status, width);
  if (p.target == 0) {
    std::string what = p.finished ? StateWord(p) + " (empty log)" : "reading the tree head…";
    return FitCells(Pad(label, label_cells) + "  " + what, width);
  }
  double rate = p.rate();
  bool at_end = p.position >= p.target;
  std::string eta = at_end ? "" : rate > 0 ? FormatDuration(double(p.target - p.position) / rate) : "?";
  std::string state = StateWord(p);
  for (int level = 0;; ++level) {
    bool compact = level >= 2, no_eta = level >= 3, short_rate = level >= 4;
    int lc = label_cells;
    std::string counts = compact ? CompactNumber(p.position) + "/" + CompactNumber(p.target)
                                 : fmt::format("{}/{}", p.position, p.target);
    std::string times = FormatDuration(p.seconds);
    if (!eta.empty() && !no_eta) times += "<" + eta;
    std::string rate_s =
        short_rate ? CompactNumber(uint64_t(rate)) + " it/s" : fmt::format("{:.1f} it/s", rate);
    std::string right = fmt::format("| {} [{}, {}]{}{}", counts, times, rate_s, level >= 1 ? "" : Extras(p),
                                    state.empty() ? "" : " " + state);
    std::string left = fmt::format("{} {:3d}%|", Pad(ProgressLabel(p.url, lc), lc), Percent(p));
    int bar_cells = width - Cells(left) - Cells(right);
    if (bar_cells >= (level >= 4 ? 6 : 10) || level >= 4) {
      if (bar_cells < 3) return FitCells(left.substr(0, left.size() - 1) + right.substr(1), width);
      return FitCells(left + Bar(double(p.position) / double(p.target), bar_cells) + right, width);
    }
  }
}

std::vector<std::string> FormatTable(const std::vector<LogProgress>& logs, int width, int max_rows) {
  std::vector<const LogProgress*> active;
  size_t finished = 0, failed = 0, idle = 0;
  uint64_t behind = 0;
  double rate = 0;
  for (const auto& p : logs) {
    if (!p.finished) rate += p.rate();
    behind += p.behind();
    if (Failed(p)) ++failed;
    if (p.finished)
      ++finished;
    else if (p.following && p.position >= p.target && p.target > 0)
      ++idle;
    else
      active.push_back(&p);
  }
  std::stable_sort(active.begin(), active.end(),
                   [](const LogProgress* a, const LogProgress* b) { return a->behind() > b->behind(); });
  // LOG (flex) DONE POSITION TREE BEHIND RATE STATE
  const int kFixed = 6 + 1 + 8 + 1 + 8 + 1 + 8 + 1 + 9 + 1;
  int state_cells = std::clamp(width - 1 - kFixed - 24, 8, 30);
  int log_cells = std::max(8, width - 1 - kFixed - state_cells - 1);
  auto row = [&](std::string_view log, std::string_view done, std::string_view pos, std::string_view tree,
                 std::string_view behind_s, std::string_view rate_s, std::string_view state) {
    return FitCells(
        fmt::format("{} {:>6} {:>8} {:>8} {:>8} {:>9} {}", Pad(FitCells(log, log_cells), log_cells), done,
                    pos, tree, behind_s, rate_s, FitCells(state, state_cells)),
        width - 1);
  };
  std::vector<std::string> out;
  out.push_back(row("LOG", "DONE", "POSITION", "TREE", "BEHIND", "RATE", "STATE"));
  size_t room = max_rows > 3 ? size_t(max_rows - 3) : 1;
  for (size_t i = 0; i < active.size() && i < room; ++i) {
    const LogProgress& p = *active[i];
    out.push_back(row(ProgressLabel(p.url, log_cells), p.target ? fmt::format("{}%", Percent(p)) : "-",
                      CompactNumber(p.position), p.target ? CompactNumber(p.target) : "?",
                      CompactNumber(p.behind()), CompactNumber(uint64_t(p.rate())) + "/s",
                      p.target ? (p.following ? p.activity : "downloading") : "reading the tree head"));
  }
  std::string more = active.size() > room ? fmt::format(" (+{} not shown)", active.size() - room) : "";
  out.push_back(
      FitCells(fmt::format("{} logs: {} active{}, {} caught up, {} finished, {} failed; "
                           "{:.1f} entries/s, {} entries behind",
                           logs.size(), active.size(), more, idle, finished - failed, failed, rate, behind),
               width - 1));
  return out;
}

namespace {
// A target of 0 before the tree head was read (or when reading it failed) is unknown, not done.
std::string Target(const LogProgress& p) {
  return p.target || p.status == "complete" ? std::to_string(p.target) : "?";
}
}  // namespace

std::string FormatLine(const LogProgress& p, WallTime now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  double pct = p.target ? 100.0 * double(std::min(p.position, p.target)) / double(p.target) : 0;
  if (p.position < p.target) pct = std::min(pct, 99.9);
  std::string follow = p.following ? fmt::format(", {} behind, {}", p.behind(), p.activity) : "";
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}+00:00: {} progress: {:.1f}% ({}/{}) {:.1f} entries/s{}{}", tm,
                     p.url, pct, p.position, Target(p), p.rate(), Extras(p), follow);
}

std::string FormatSummary(const LogProgress& p) {
  return fmt::format(
      "{}: {} at {}/{}: {} entries, {:.1f} MB in, {:.1f} MB written ({} segments) in {}, "
      "{:.1f} entries/s, retries {}, 429s {}, bad entries {}",
      p.url, p.status.empty() ? "running" : p.status, p.committed, Target(p), p.done(),
      double(p.bytes_in) / 1e6, double(p.bytes_out) / 1e6, p.segments, FormatDuration(p.seconds),
      p.average_rate(), p.retries, p.throttled, p.bad_entries);
}

}  // namespace ctdl::cli
