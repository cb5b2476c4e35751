#include "cli/log_select.h"

#include <algorithm>
#include <cctype>

namespace ctdl::cli {
namespace {
std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

bool MirroredState(const std::string& s) { return s == "usable" || s == "qualified" || s == "readonly"; }

bool Matches(const LogState& log, const LogFilter& f) {
  if (!f.log_type.empty() && log.log_type != f.log_type) return false;
  if (!f.operator_sub.empty() && Lower(log.operator_name).find(Lower(f.operator_sub)) == std::string::npos)
    return false;
  return f.url_sub.empty() || log.url.find(f.url_sub) != std::string::npos;
}

std::vector<std::string> SelectLogs(const std::vector<LogState>& logs, const LogFilter& filter) {
  std::vector<std::string> out;
  for (const auto& l : logs)
    if (MirroredState(l.list_state) && Matches(l, filter)) out.push_back(l.url);
  return out;
}

}  // namespace ctdl::cli
