#include "cli/flag_checks.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace ctdl::cli {

std::string CheckCount(const std::string& text, uint64_t min, uint64_t max) {
  if (text.empty()) return "needs a whole number";
  for (char c : text)
    if (c < '0' || c > '9')
      return fmt::format("\"{}\" is not a whole number from {} to {}", text.substr(0, 40), min, max);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max)
    return fmt::format("{} is out of range (from {} to {})", text.substr(0, 40), min, max);
  return "";
}

std::string CheckRate(const std::string& text, double min, double max) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.'))
      return fmt::format("\"{}\" is not a number from {} to {}", text.substr(0, 40), min, max);
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < min ||
      v > max)
    return fmt::format("\"{}\" is not a number from {} to {}", text.substr(0, 40), min, max);
  return "";
}

std::string CheckPowerOfTwo(const std::string& text, uint64_t min, uint64_t max) {
  if (std::string why = CheckCount(text, min, max); !why.empty()) return why;
  uint64_t v = std::stoull(text);  // CheckCount proved it is digits within range
  if ((v & (v - 1)) != 0) return fmt::format("{} is not a power of two (from {} to {})", text, min, max);
  return "";
}

CLI::Validator CountFlag(uint64_t min, uint64_t max) {
  return CLI::Validator([=](std::string& s) { return CheckCount(s, min, max); },
                        fmt::format("UINT in [{} - {}]", min, max));
}

CLI::Validator RateFlag(double min, double max) {
  return CLI::Validator([=](std::string& s) { return CheckRate(s, min, max); },
                        fmt::format("NUMBER in [{} - {}]", min, max));
}

CLI::Validator PowerOfTwoFlag(uint64_t min, uint64_t max) {
  return CLI::Validator([=](std::string& s) { return CheckPowerOfTwo(s, min, max); },
                        fmt::format("POW2>={}", min));
}

}  // namespace ctdl::cli
