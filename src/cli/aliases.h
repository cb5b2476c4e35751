// The seed's flags, kept as aliases. RewriteSeedAliases runs on argv before CLI11 sees it:
//   --init -> init        --show-all-status -> status        --update-tree-size -> update-tree-size
//   --ct_url URL / --ct_url=URL (repeatable) -> download URL...
//   --remove-progress-bar -> --no-progress
// A command named by an alias is moved to the front (global options may follow a command).
// Arguments after "--" are left alone. Pure function.
#pragma once

#include <string>
#include <vector>

namespace ctdl::cli {

// args excludes argv[0].
std::vector<std::string> RewriteSeedAliases(const std::vector<std::string>& args);

// The alias flags above (for "did you mean" when one is misspelt); --ct_url takes a value.
inline const std::vector<std::string> kSeedAliasFlags{"--init", "--show-all-status", "--update-tree-size",
                                                      "--ct_url", "--remove-progress-bar"};

}  // namespace ctdl::cli
