// Tiny JSON writer for ctdl's own output lines (status --json). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ctdl::cli {

// Appends a JSON string literal (quotes included); invalid UTF-8 bytes become U+FFFD.
void AppendJsonString(std::string* out, std::string_view s);

// Builds {"k":v,...} in insertion order.
class JsonObject {
 public:
  JsonObject& Str(std::string_view key, std::string_view value);
  JsonObject& Uint(std::string_view key, uint64_t value);
  JsonObject& Int(std::string_view key, int64_t value);
  JsonObject& Num(std::string_view key, double value);  // fixed, 2 decimals
  std::string Done() const { return out_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string out_ = "{";
};

}  // namespace ctdl::cli
