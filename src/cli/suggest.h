// "Did you mean ...": explains a command line the flag parser refused, naming the closest known
// command or flag, and finds the closest of a list of names (also used for unknown log URLs).
// Pure functions of their arguments (no CLI11 here: app.cc describes its commands in a Grammar).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ctdl::cli {

// Levenshtein distance (insert, delete, substitute one byte each cost 1).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is near enough to be a typo of it (at most a third of the
// longer word's bytes differ, at least one, and at most max_edits); "" when none is. Ties: the first.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates,
                         size_t max_edits = SIZE_MAX);

// The commands and flags a command line may hold. commands[0] is the top level (name ""); its flags
// are also accepted after a command name.
struct Grammar {
  struct Command {
    std::string name;
    std::vector<std::string> flags;        // every spelling: "--state", "-v", "--verbose", ...
    std::vector<std::string> value_flags;  // those of `flags` that take a value (next word or =)
  };
  std::vector<Command> commands;
};

struct UnknownWord {
  std::string message;  // e.g. `unknown command "dowload"; did you mean "download"?`; "" when none
  size_t command = 0;   // index in Grammar::commands of the command in use (where the word was)
};

// The first word of args (argv without the program name) that is neither a known command (before
// one is named) nor a known flag of the command in use. Words after "--" and values of value flags
// are not looked at; positional words after a command are the command's business.
UnknownWord FindUnknownWord(const Grammar& grammar, const std::vector<std::string>& args);

}  // namespace ctdl::cli
