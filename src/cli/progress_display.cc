// The ProgressSinks of cli/progress_display.h: terminal (bars or table, messages above them), lines,
// and a tee.
#include "cli/progress_display.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "base/log.h"

namespace ctdl::cli {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : fallback;
}

// Never throws (fmt::print does when the stream fails): a closed stderr pipe must not abort a download;
// it stops it gracefully instead (SIGPIPE, cli/download_cmd.cc).
void PutLine(FILE* out, const std::string& line) {
  std::fputs(line.c_str(), out);
  std::fputc('\n', out);
}

}  // namespace

int TerminalColumns(int fd) {
  struct winsize ws {};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return EnvInt("COLUMNS", 80);
}

int TerminalRows(int fd) {
  struct winsize ws {};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  return EnvInt("LINES", 24);
}

namespace {

// Splits text into lines of at most `width` cells (continuations indented by two spaces).
std::vector<std::string> Wrap(std::string_view text, int width) {
  std::vector<std::string> out;
  width = std::max(width, 8);
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    bool first = true;
    do {
      std::string prefix = first ? "" : "  ";
      int room = width - Cells(prefix);
      size_t take = 0;
      int cells = 0;
      while (take < line.size()) {
        unsigned char c = line[take];
        if ((c & 0xC0) != 0x80 && ++cells > room) break;
        ++take;
      }
      size_t skip = take;
      if (take < line.size()) {  // break at the last space, unless that leaves little on the line
        size_t space = line.substr(0, take).rfind(' ');
        if (space != std::string_view::npos && space > take / 2) take = space, skip = space + 1;
      }
      out.push_back(prefix + std::string(line.substr(0, take)));
      line.remove_prefix(skip);
      first = false;
    } while (!line.empty());
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

class TerminalDisplay : public ProgressSink {
 public:
  TerminalDisplay(FILE* out, int fd, const std::atomic<int>* stop) : out_(out), fd_(fd), stop_(stop) {
    SetLogSink([this](LogLevel level, std::string_view msg) {
      static const char* kNames[] = {"debug", "info", "warning", "error"};
      Message(fmt::format("{}: {}", kNames[static_cast<int>(level)], msg));
    });
  }
  ~TerminalDisplay() override { SetLogSink(nullptr); }

  void Update(const std::vector<LogProgress>& logs) override {
    std::lock_guard<std::mutex> l(mu_);
    last_ = logs;
    Draw();
  }
  void Finish(const std::vector<LogProgress>& logs) override {
    std::lock_guard<std::mutex> l(mu_);
    last_ = logs;
    Draw();
    // The final picture stays; the summaries go below it.
    std::string s;
    for (const auto& p : logs)
      for (const auto& line : Wrap(FormatSummary(p), Width())) s += line + "\n";
    lines_ = 0;
    finished_ = true;
    std::fputs(s.c_str(), out_);
    std::fflush(out_);
  }

  void Message(std::string text) {
    std::lock_guard<std::mutex> l(mu_);
    NoteStop();  // "stopping" goes above the messages the stop causes
    pending_.push_back(std::move(text));
    Draw();
  }

 private:
  void NoteStop() {
    if (stop_ && stop_->load() > 0 && !stop_shown_) {
      stop_shown_ = true;
      pending_.push_back("ctdl: stopping… committing what is in flight (signal again to quit at once)");
    }
  }
  int Width() const { return std::max(20, TerminalColumns(fd_)) - 1; }

  std::vector<std::string> Body(int width) const {
    int rows = TerminalRows(fd_);
    std::vector<std::string> body;
    if (last_.size() > size_t(kMaxBars) || int(last_.size()) > rows - 4)
      return FormatTable(last_, width + 1, std::max(4, rows - 4));
    int label = 8;
    for (const auto& p : last_) label = std::max(label, Cells(ProgressLabel(p.url)));
    label = std::min(label, std::max(12, width - 56));  // the rest of a bar needs ~56 cells
    for (const auto& p : last_) body.push_back(FormatBar(p, width, label));
    return body;
  }

  // Moves up over the previous picture, prints the pending messages (they stay), redraws.
  void Draw() {
    NoteStop();  // from every path: a stop seen first by a message or by Finish still says so
    int width = Width();
    std::string s;
    if (lines_) s += fmt::format("\x1b[{}A", lines_);
    s += "\r\x1b[J";
    for (const auto& m : pending_)
      for (const auto& line : Wrap(m, width)) s += line + "\n";
    pending_.clear();
    std::vector<std::string> body;
    if (!finished_) body = Body(width);
    for (const auto& line : body) s += line + "\n";
    lines_ = static_cast<int>(body.size());
    std::fputs(s.c_str(), out_);
    std::fflush(out_);
  }

  FILE* out_;
  int fd_;
  const std::atomic<int>* stop_;
  std::mutex mu_;
  std::vector<LogProgress> last_;
  std::vector<std::string> pending_;
  int lines_ = 0;
  bool stop_shown_ = false;
  bool finished_ = false;  // after Finish only messages are printed
};

class LineDisplay : public ProgressSink {
 public:
  LineDisplay(FILE* out, Clock* clock) : out_(out), clock_(clock) {}
  void Update(const std::vector<LogProgress>& logs) override {
    SteadyTime now = clock_->Now();
    bool heartbeat = now - last_summary_ >= std::chrono::minutes(1);
    size_t following = 0, behind = 0;
    for (const auto& p : logs) {
      Seen& seen = seen_[p.url];
      if (p.finished) {
        if (!seen.summarized) PutLine(out_, FormatSummary(p));
        seen.summarized = true;
        continue;
      }
      following += p.following;
      behind += p.behind();
      bool moved = p.position != seen.position || p.tree_size != seen.tree || p.activity != seen.activity;
      if (!p.following || moved) PutLine(out_, FormatLine(p, clock_->WallNow()));
      seen.position = p.position;
      seen.tree = p.tree_size;
      seen.activity = p.activity;
    }
    if (following && heartbeat) {
      PutLine(out_, fmt::format("following {} logs, {} entries behind", following, behind));
      last_summary_ = now;
    }
    std::fflush(out_);
  }
  void Finish(const std::vector<LogProgress>& logs) override {
    for (const auto& p : logs)
      if (!seen_[p.url].summarized) PutLine(out_, FormatSummary(p));
    std::fflush(out_);
  }

 private:
  struct Seen {
    uint64_t position = UINT64_MAX, tree = 0;
    std::string activity;
    bool summarized = false;
  };
  FILE* out_;
  Clock* clock_;
  std::map<std::string, Seen> seen_;
  SteadyTime last_summary_{};
};

class TeeSink : public ProgressSink {
 public:
  explicit TeeSink(std::vector<ProgressSink*> sinks) : sinks_(std::move(sinks)) {}
  void Attach(const DownloadView* v) override {
    for (auto* s : sinks_) s->Attach(v);
  }
  void Update(const std::vector<LogProgress>& logs) override {
    for (auto* s : sinks_) s->Update(logs);
  }
  void Finish(const std::vector<LogProgress>& logs) override {
    for (auto* s : sinks_) s->Finish(logs);
  }

 private:
  std::vector<ProgressSink*> sinks_;
};

}  // namespace

std::unique_ptr<ProgressSink> NewTerminalDisplay(FILE* out, int fd, const std::atomic<int>* stop) {
  return std::make_unique<TerminalDisplay>(out, fd, stop);
}
std::unique_ptr<ProgressSink> NewLineDisplay(FILE* out, Clock* clock) {
  return std::make_unique<LineDisplay>(out, clock);
}
std::unique_ptr<ProgressSink> NewTeeSink(std::vector<ProgressSink*> sinks) {
  return std::make_unique<TeeSink>(std::move(sinks));
}

}  // namespace ctdl::cli
