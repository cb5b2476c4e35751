#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // partial LogFilter aggregates below
#include "cli/log_select.h"

#include <gtest/gtest.h>

namespace ctdl::cli {
namespace {

LogState Log(std::string url, std::string state, std::string type = "rfc6962", std::string op = "Google") {
  LogState l;
  l.url = std::move(url);
  l.list_state = std::move(state);
  l.log_type = std::move(type);
  l.operator_name = std::move(op);
  return l;
}

TEST(LogSelect, StatesAndFilters) {
  std::vector<LogState> logs = {Log("https://a/", "usable"),
                                Log("https://b/", "qualified"),
                                Log("https://c/", "readonly"),
                                Log("https://d/", "retired"),
                                Log("https://e/", "pending"),
                                Log("https://f/", ""),
                                Log("https://t/", "usable", "tiled", "Let's Encrypt")};
  EXPECT_EQ(SelectLogs(logs, {}),
            (std::vector<std::string>{"https://a/", "https://b/", "https://c/", "https://t/"}));
  EXPECT_EQ(SelectLogs(logs, {.log_type = "tiled"}), (std::vector<std::string>{"https://t/"}));
  EXPECT_EQ(SelectLogs(logs, {.operator_sub = "let's"}), (std::vector<std::string>{"https://t/"}));
  EXPECT_EQ(SelectLogs(logs, {.url_sub = "//b"}), (std::vector<std::string>{"https://b/"}));
  EXPECT_TRUE(SelectLogs(logs, {.log_type = "tiled", .url_sub = "//a"}).empty());
}

}  // namespace
}  // namespace ctdl::cli
