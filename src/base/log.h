// Minimal leveled logging to stderr. Thread-safe. The CLI may install a sink (e.g. to keep progress bars
// intact). Never log secrets: callers pass URLs and names, never credentials or signed headers.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string_view>

namespace ctdl {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Replaces the output function (default: "<time> <level>: <msg>\n" to stderr). Pass nullptr to reset.
void SetLogSink(std::function<void(LogLevel, std::string_view)> sink);
void LogLine(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, fmt::format(f, std::forward<Args>(args)...));
}
#define LOG_DEBUG(...) ::ctdl::Log(::ctdl::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) ::ctdl::Log(::ctdl::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARN(...) ::ctdl::Log(::ctdl::LogLevel::kWarn, __VA_ARGS__)
#define LOG_ERROR(...) ::ctdl::Log(::ctdl::LogLevel::kError, __VA_ARGS__)

}  // namespace ctdl
