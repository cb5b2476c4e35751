#include "cli/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace ctdl::cli {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// "--name=value" -> "--name"; "-vv" -> "-v" (a cluster of short flags is known if its first is; the
// caller takes the whole word when it is not, e.g. "-state").
std::string FlagName(const std::string& word) {
  if (word.rfind("--", 0) == 0) return word.substr(0, word.find('='));
  return word.substr(0, 2);
}

std::string Quoted(std::string_view s) { return fmt::format("\"{}\"", s); }

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = ClosestMatch(word, candidates);
  return best.empty() ? "" : fmt::format("; did you mean {}?", Quoted(best));
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates,
                         size_t max_edits) {
  std::string best;
  size_t best_distance = 0;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    size_t allowed = std::min(max_edits, std::max<size_t>(1, std::max(word.size(), c.size()) / 3));
    if (d <= allowed && (best.empty() || d < best_distance)) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

UnknownWord FindUnknownWord(const Grammar& grammar, const std::vector<std::string>& args) {
  if (grammar.commands.empty()) return {};
  size_t current = 0;
  std::vector<std::string> command_names;
  for (size_t i = 1; i < grammar.commands.size(); ++i) command_names.push_back(grammar.commands[i].name);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    const Grammar::Command& top = grammar.commands[0];
    const Grammar::Command& cmd = grammar.commands[current];
    if (word.size() > 1 && word[0] == '-') {
      auto known_flag = [&](const std::string& n) {
        return Contains(cmd.flags, n) || Contains(top.flags, n);
      };
      std::string name = FlagName(word);
      if (!known_flag(name) && word[1] != '-') name = word.substr(0, word.find('='));  // "-state"
      bool value_flag = Contains(cmd.value_flags, name) || Contains(top.value_flags, name);
      if (!known_flag(name)) {
        std::vector<std::string> known = cmd.flags;
        if (current != 0) known.insert(known.end(), top.flags.begin(), top.flags.end());
        std::string where = current == 0 ? "ctdl" : "ctdl " + cmd.name;
        return {fmt::format("unknown flag {} for `{}`{}", Quoted(name), where, DidYouMean(name, known)),
                current};
      }
      if (value_flag && word.find('=') == std::string::npos) ++i;  // its value
      continue;
    }
    if (current != 0) continue;  // a positional word of the command (download's URLs)
    auto it = std::find(command_names.begin(), command_names.end(), word);
    if (it == command_names.end()) {
      std::string hint = DidYouMean(word, command_names);
      if (hint.empty()) hint = fmt::format("; the commands are {}", fmt::join(command_names, ", "));
      return {fmt::format("unknown command {}{}", Quoted(word), hint), 0};
    }
    current = static_cast<size_t>(it - command_names.begin()) + 1;
  }
  return {"", current};
}

}  // namespace ctdl::cli
