#include "cli/aliases.h"

namespace ctdl::cli {

std::vector<std::string> RewriteSeedAliases(const std::vector<std::string>& args) {
  std::string command;
  std::vector<std::string> rest;
  std::vector<std::string> urls;
  bool passthrough = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (passthrough) {
      rest.push_back(a);
      continue;
    }
    if (a == "--") {
      passthrough = true;
      rest.push_back(a);
    } else if (a == "--init" && command.empty()) {
      command = "init";
    } else if (a == "--show-all-status" && command.empty()) {
      command = "status";
    } else if (a == "--update-tree-size" && command.empty()) {
      command = "update-tree-size";
    } else if (a == "--ct_url" && (command.empty() || command == "download")) {
      command = "download";
      if (i + 1 < args.size()) urls.push_back(args[++i]);
    } else if (a.rfind("--ct_url=", 0) == 0 && (command.empty() || command == "download")) {
      command = "download";
      urls.push_back(a.substr(9));
    } else if (a == "--remove-progress-bar") {
      rest.push_back("--no-progress");
    } else {
      rest.push_back(a);
    }
  }
  if (command.empty()) return rest;
  std::vector<std::string> out{command};
  out.insert(out.end(), urls.begin(), urls.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace ctdl::cli
