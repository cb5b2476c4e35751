#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ctdl {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
std::function<void(LogLevel, std::string_view)>& Sink() {
  static auto* sink = new std::function<void(LogLevel, std::string_view)>();
  return *sink;
}
const char* Name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warning";
    case LogLevel::kError: return "error";
  }
  return "?";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void SetLogSink(std::function<void(LogLevel, std::string_view)> sink) {
  std::lock_guard<std::mutex> l(g_mu);
  Sink() = std::move(sink);
}

void LogLine(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> l(g_mu);
  if (Sink()) {
    Sink()(level, message);
    return;
  }
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s %s: %.*s\n", ts, Name(level), static_cast<int>(message.size()),
               message.data());
}

}  // namespace ctdl
