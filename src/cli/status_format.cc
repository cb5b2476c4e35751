#include "cli/status_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "cli/json_out.h"
#include "cli/progress_display.h"

namespace ctdl::cli {

void SortForDisplay(std::vector<LogState>* logs) {
  std::stable_sort(logs->begin(), logs->end(), [](const LogState& a, const LogState& b) {
    bool at = a.log_type == "tiled", bt = b.log_type == "tiled";
    if (at != bt) return bt;  // rfc6962 before tiled
    return a.url < b.url;
  });
}

std::string PercentComplete(const LogState& log) {
  if (log.tree_size == 0) return "-";
  double pct =
      100.0 * static_cast<double>(std::min(log.position, log.tree_size)) / static_cast<double>(log.tree_size);
  // Never show 100.00% before the last entry is in.
  if (log.position < log.tree_size && pct > 99.99) pct = 99.99;
  return fmt::format("{:.2f}%", pct);
}

uint64_t UnverifiedPrefix(const LogState& l) {
  if (l.compact_range.empty() && l.position > 0 && l.verified_size < l.position) return l.position;
  return std::min(l.unverified_prefix, l.position);
}

bool HasUnverified(const LogState& l) { return UnverifiedPrefix(l) > 0 || l.verified_size < l.position; }

std::string UnverifiedText(const LogState& l) {
  uint64_t prefix = UnverifiedPrefix(l);
  std::string out;
  if (prefix > 0) out = fmt::format("[0,{})", prefix);
  uint64_t from = std::max(prefix, l.verified_size);
  if (from < l.position) out += fmt::format("{}[{},{})", out.empty() ? "" : "+", from, l.position);
  return out.empty() ? "-" : out;
}

std::string BehindText(const LogState& l) {
  if (l.tree_size == 0) return "-";
  return CompactNumber(l.tree_size > l.position ? l.tree_size - l.position : 0);
}

std::string AgeText(int64_t t, int64_t now) {
  if (t <= 0) return "never";
  int64_t s = now > t ? now - t : 0;
  if (s < 120) return fmt::format("{}s", s);
  if (s < 7200) return fmt::format("{}m", s / 60);
  if (s < 172800) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

std::string FormatStatusTable(const std::vector<LogState>& logs, const StatusColumns& columns) {
  std::vector<std::string> header = {"PercentComplete", "CurrentPosition", "End(tree_size)"};
  if (columns.verified) header.insert(header.end(), {"VerifiedSize", "Unverified"});
  if (columns.lag) header.insert(header.end(), {"Behind", "AdvancedAgo"});
  const size_t numbers = header.size();  // right-aligned: every column before LogType
  header.insert(header.end(), {"LogType", "URL"});
  const size_t kCols = header.size();
  std::vector<std::vector<std::string>> rows;
  rows.push_back(header);
  for (const auto& l : logs) {
    std::vector<std::string> r = {PercentComplete(l), std::to_string(l.position), std::to_string(l.tree_size)};
    if (columns.verified) r.insert(r.end(), {std::to_string(l.verified_size), UnverifiedText(l)});
    if (columns.lag) r.insert(r.end(), {BehindText(l), AgeText(l.advanced_at, columns.now_unix)});
    r.insert(r.end(), {l.log_type, l.url});
    rows.push_back(std::move(r));
  }
  std::vector<size_t> width(kCols);
  for (const auto& r : rows)
    for (size_t c = 0; c < kCols; ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    std::string line;
    for (size_t c = 0; c < kCols; ++c) {
      bool number = i > 0 && c < numbers;
      bool last = c + 1 == kCols;
      if (last)
        line += r[c];
      else if (number)
        line += fmt::format("{:>{}}  ", r[c], width[c]);
      else
        line += fmt::format("{:<{}}  ", r[c], width[c]);
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string StatusJsonLine(const LogState& l, double learnt_rps) {
  JsonObject o;
  o.Str("url", l.url)
      .Str("description", l.description)
      .Str("ct_log_type", l.log_type)
      .Uint("tree_size", l.tree_size)
      .Uint("current_position", l.position)
      .Uint("verified_size", l.verified_size)
      .Uint("unverified_prefix", UnverifiedPrefix(l))
      .Uint("remaining", l.tree_size > l.position ? l.tree_size - l.position : 0);
  if (l.tree_size > 0)
    o.Num("percent_complete",
          100.0 * static_cast<double>(std::min(l.position, l.tree_size)) / static_cast<double>(l.tree_size));
  if (!l.submission_url.empty()) o.Str("submission_url", l.submission_url);
  o.Str("operator", l.operator_name)
      .Str("log_id", l.log_id)
      .Str("key", l.key)
      .Int("mmd", l.mmd)
      .Str("state", l.list_state)
      .Int("updated_at", l.updated_at)
      .Int("advanced_at", l.advanced_at);
  if (learnt_rps > 0) o.Num("learnt_rps", learnt_rps);
  return o.Done();
}

std::string FormatHostRates(const std::vector<HostRate>& rates, int64_t now_unix) {
  std::string out;
  for (const HostRate& r : rates) {
    std::string age = "?";
    if (r.updated_at > 0 && now_unix >= r.updated_at) {
      int64_t s = now_unix - r.updated_at;
      age = s < 120 ? fmt::format("{} s", s) : s < 7200 ? fmt::format("{} min", s / 60)
                                           : s < 172800 ? fmt::format("{} h", s / 3600)
                                                        : fmt::format("{} days", s / 86400);
    }
    out += fmt::format("rate limit learnt for {}: {:.3g} req/s (burst {:.3g}{}; {} ago)\n", r.host, r.rps,
                       r.burst, r.retry_after ? "" : ", no Retry-After", age);
  }
  return out;
}

std::string TreeSizeLine(const std::string& url, uint64_t new_size, uint64_t old_size) {
  uint64_t more = new_size > old_size ? new_size - old_size : 0;
  return fmt::format("Found {} more items. New tree size: {} old tree size: {} url: {}", more, new_size,
                     old_size, url);
}

}  // namespace ctdl::cli
