// How a download looks (ProgressSinks of sync/progress.h): bars or a compact table on a terminal,
// a line per log every few seconds otherwise, and a summary per log at the end. Formatting is pure
// (Format*, functions of a snapshot and a width), so tests check the text without a terminal.
//
// On a terminal every drawn line fits the width (TIOCGWINSZ, read at each redraw; no line is
// longer than width - 1 cells), labels are aligned, a finished log keeps its final rate and time, a
// log without a tree head yet says so (never "100% 0/0"). Log messages (warnings, "stopping…",
// "stopped at N, resume with the same command") are printed above the bars and stay on screen.
// With more logs than fit (or than kMaxBars) the display is a table: one line per active log and a
// summary line.
// Thread safety: Format* are pure; a display is driven by one reporter thread, its message hook
// may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "sync/progress.h"

namespace ctdl::cli {

inline constexpr int kMaxBars = 12;

// "00:12", "1:02:03", "2d 03:04:05".
std::string FormatDuration(double seconds);
// 1234 -> "1234", 123456 -> "123.5k", 12345678 -> "12.3M", 1234567890 -> "1.23G".
std::string CompactNumber(uint64_t n);
// Display cells of UTF-8 text (one per code point: ctdl only prints narrow characters).
int Cells(std::string_view utf8);
// Cut to at most `width` cells ("…" marks the cut).
std::string FitCells(std::string_view utf8, int width);
// Short label: the URL without scheme and trailing '/'; when longer than max_cells its tail is kept.
std::string ProgressLabel(const std::string& url, int max_cells = 32);

// tqdm-like, at most `width` cells: "<label padded to label_cells> 3%|██▊   | 457728/57004106
// [00:12<11:34:51, 1356.3 it/s] retries 3, 429s 1"; details are dropped (extras, then exact
// numbers, then the ETA, then the rate's decimals) before the bar gets narrower than 10 cells.
std::string FormatBar(const LogProgress& p, int width, int label_cells);
// The compact table: header, one line per active log (at most max_rows - 2, busiest first), summary.
std::vector<std::string> FormatTable(const std::vector<LogProgress>& logs, int width, int max_rows);
// "2026-02-04T04:48:10+00:00: URL progress: 3.5% (694880/19799242) 1356.3 entries/s"
std::string FormatLine(const LogProgress& p, WallTime now);
// "URL: complete at 200000/200000: 200000 entries, 12.3 MB in, 3.4 MB written (2 segments) in 00:05,
//  40000.0 entries/s, retries 0, 429s 0, bad entries 0"
std::string FormatSummary(const LogProgress& p);

// Columns and rows of the terminal on fd (TIOCGWINSZ), else $COLUMNS/$LINES, else 80x24.
int TerminalColumns(int fd);
int TerminalRows(int fd);

// Bars/table redrawn in place on `out` (a terminal, fd its descriptor). While it exists, ctdl's log
// lines go through it (printed above the bars). `stop` (optional): when it turns > 0 the display
// prints "stopping…" once.
std::unique_ptr<ProgressSink> NewTerminalDisplay(FILE* out, int fd, const std::atomic<int>* stop);
// FormatLine per running log per update (follow: only logs that moved, plus a summary line a
// minute), FormatSummary for each log once it finished.
std::unique_ptr<ProgressSink> NewLineDisplay(FILE* out, Clock* clock);
// Forwards to several sinks (display + metrics endpoint).
std::unique_ptr<ProgressSink> NewTeeSink(std::vector<ProgressSink*> sinks);

}  // namespace ctdl::cli
