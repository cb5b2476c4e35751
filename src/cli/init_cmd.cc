// ctdl init: register the logs of a log list (keeping download positions unless --reset).
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <set>

#include "cli/backends.h"
#include "cli/commands.h"
#include "net/file_http_client.h"
#include "cli/log_list_source.h"
#include "cli/tree_size.h"
#include "ct/log_list.h"
#include "sink/segment.h"

namespace ctdl::cli {
namespace {

bool AskYes(const std::string& question) {
  fmt::print("{} [y/N] ", question);
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes" || answer == "YES";
}

// Two logs must never share an archive folder (one would take the other's segments for its own):
// refused before anything is registered. The folder is the slug of the url (sink/segment.h).
Status CheckArchiveFolders(const std::vector<LogState>& registered, const std::vector<LogState>& logs) {
  std::map<std::string, std::string> owner;  // slug -> url
  for (const auto& l : registered) owner.emplace(LogSlug(l.url), l.url);
  for (const auto& l : logs) {
    auto [it, fresh] = owner.emplace(LogSlug(l.url), l.url);
    if (!fresh && it->second != l.url)
      return InvalidArgument(fmt::format(
          "the logs {} and {} would share the archive folder {}/ (their URLs differ only in case, "
          "port or punctuation); nothing was registered. Remove one of them from the log list",
          it->second, l.url, it->first));
  }
  return Status::Ok();
}

}  // namespace

Failure RunInit(const GlobalOptions& global, const InitOptions& options) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  if (!options.yes && !::isatty(STDIN_FILENO))
    return {kExitUsage,
            InvalidArgument("init changes the state store and needs confirmation, but stdin is not "
                            "a terminal; pass --yes to proceed without asking")};

  auto http = NewHttpClient(global.Curl());
  auto text = ReadLogListSource(options.log_list, *http);
  if (!text.ok())
    return Fail(text.status(),
                text.status().code() == Code::kUnavailable ? Origin::kNetwork : Origin::kInput);
  if (!IsHttpUrl(options.log_list) && text->empty())
    return {kExitBadInput, InvalidArgument("log list " + options.log_list + " is empty")};
  auto list = ParseLogList(*text, {.include_test = options.include_test});
  if (!list.ok()) return Fail(list.status().Annotate("log list " + options.log_list), Origin::kInput);
  for (const auto& w : list->warnings) fmt::print(stderr, "warning: {}\n", w);
  if (list->logs.empty())
    return {kExitBadInput, InvalidArgument(fmt::format(
                               "log list {} names no logs to register ({} rejected and {} test logs skipped; "
                               "--include-test keeps test logs)",
                               options.log_list, list->skipped_rejected, list->skipped_test))};

  auto store = OpenStateStore(global.state_uri, http.get());
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  auto existing = (*store)->List();
  if (!existing.ok()) return Fail(existing.status(), Origin::kStateStore);
  std::set<std::string> known;
  std::map<std::string, std::string> stored_sth;
  for (const auto& l : *existing) {
    known.insert(l.url);
    stored_sth[l.url] = l.sth;
  }

  std::vector<LogState> logs;
  for (const auto& l : list->logs) logs.push_back(ToLogState(l));
  if (Status s = CheckArchiveFolders(*existing, logs); !s.ok()) return {kExitBadInput, s};
  fmt::print(stderr, "Fetching the tree size of {} logs...\n", logs.size());
  // Every head is verified (signature with the list's key; consistency with a head already stored)
  // before its size is stored. A log whose head fails is still registered, with no head.
  std::vector<LogState> to_fetch = logs;
  for (auto& l : to_fetch) l.sth = stored_sth[l.url];
  FetchOptions fetch_options;
  fetch_options.prove_consistency = true;
  auto heads = FetchTreeHeads(*http, to_fetch, options.concurrency, fetch_options, /*verify=*/true);
  int unreachable = 0;
  std::vector<std::string> not_verified;
  for (size_t i = 0; i < logs.size(); ++i) {
    if (heads[i].ok()) {
      logs[i].tree_size = heads[i]->tree_size;
      logs[i].sth = heads[i]->sth;
    } else if (Code c = heads[i].status().code(); c == Code::kVerifyFailed || c == Code::kInvalidArgument) {
      not_verified.push_back(logs[i].url);
      fmt::print(stderr,
                 "warning: VERIFICATION FAILED: {}; registering {} without its tree head (tree size 0 "
                 "unless one was stored before)\n",
                 heads[i].status().message(), logs[i].url);
    } else {
      ++unreachable;
      fmt::print(stderr, "warning: {}; registering {} with tree size 0\n", heads[i].status().message(),
                 logs[i].url);
    }
  }

  size_t fresh = 0;
  for (const auto& l : logs) fresh += known.count(l.url) ? 0 : 1;
  fmt::print("{:<8}  {:>14}  {:<5}  {}\n", "LogType", "TreeSize", "New", "URL");
  for (const auto& l : logs)
    fmt::print("{:<8}  {:>14}  {:<5}  {}\n", l.log_type, l.tree_size, known.count(l.url) ? "no" : "yes",
               l.url);
  fmt::print(
      "Log list {}: {} logs to register in {} ({} new, {} already registered{}); skipped {} "
      "rejected and {} test logs.\n",
      options.log_list, logs.size(), global.state_uri, fresh, logs.size() - fresh,
      options.reset ? ", their download positions RESET to 0" : ", download positions kept",
      list->skipped_rejected, list->skipped_test);
  if (unreachable)
    fmt::print(
        "{} logs could not be reached; they are registered with tree size 0 "
        "(`ctdl update-tree-size` refreshes them).\n",
        unreachable);

  if (!options.yes && !AskYes("Proceed?")) {
    fmt::print("Nothing changed.\n");
    return {kExitError, Cancelled("init was not confirmed; nothing changed")};
  }
  if (Status s = (*store)->Register(logs, options.reset); !s.ok()) return Fail(s, Origin::kStateStore);
  fmt::print("Registered {} logs in {}.\n", logs.size(), global.state_uri);
  if (!not_verified.empty())
    return {kExitVerifyFailed,
            VerifyFailed(fmt::format("the tree heads of {} logs did not verify (first: {}); they are "
                                     "registered but their heads were not stored (see the warnings above)",
                                     not_verified.size(), not_verified.front()))};
  return Succeed();
}

}  // namespace ctdl::cli
