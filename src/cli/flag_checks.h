// Strict checks of numeric flag values, run by CLI11 on the text before it is converted, so that
// "-1", "1e3", "18446744073709551616" (overflow), "nan" or "inf" are usage errors (exit 2) instead of
// wrapping around or slipping through. Thread-safe.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace ctdl::cli {

// Decimal digits only, no sign, min <= value <= max.
CLI::Validator CountFlag(uint64_t min, uint64_t max);
// A finite decimal number, min <= value <= max (no nan, inf, hex or exponent overflow).
CLI::Validator RateFlag(double min, double max);
// A CountFlag that must also be a power of two (named "POW2>=min" in --help).
CLI::Validator PowerOfTwoFlag(uint64_t min, uint64_t max);

// The checks themselves: "" when `text` is fine, else why not (used by the validators and tests).
std::string CheckCount(const std::string& text, uint64_t min, uint64_t max);
std::string CheckRate(const std::string& text, double min, double max);
std::string CheckPowerOfTwo(const std::string& text, uint64_t min, uint64_t max);

}  // namespace ctdl::cli
