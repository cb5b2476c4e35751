// ctdl status and ctdl update-tree-size.
#include <fmt/format.h>

#include "cli/backends.h"
#include "cli/commands.h"
#include "cli/status_format.h"
#include "cli/tree_size.h"

namespace ctdl::cli {

Failure RunStatus(const GlobalOptions& global, const StatusOptions& options) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  auto http = NewCurlHttpClient(global.Curl());
  auto store = OpenStateStore(global.state_uri, http.get(), /*create=*/false);
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  auto logs = (*store)->List();
  if (!logs.ok()) return Fail(logs.status(), Origin::kStateStore);
  if (logs->empty()) {
    fmt::print(stderr, "No logs are registered in {}; run `ctdl init` to register logs.\n", global.state_uri);
    return Succeed();
  }
  SortForDisplay(&*logs);
  if (options.json) {
    for (const auto& l : *logs) fmt::print("{}\n", StatusJsonLine(l));
  } else {
    fmt::print("{}", FormatStatusTable(*logs));
  }
  return Succeed();
}

Failure RunUpdateTreeSize(const GlobalOptions& global) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  auto http = NewCurlHttpClient(global.Curl());
  auto store = OpenStateStore(global.state_uri, http.get(), /*create=*/false);
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  auto logs = (*store)->List();
  if (!logs.ok()) return Fail(logs.status(), Origin::kStateStore);
  if (logs->empty()) {
    fmt::print(stderr, "No logs are registered in {}; run `ctdl init` to register logs.\n", global.state_uri);
    return Succeed();
  }
  SortForDisplay(&*logs);
  auto heads = FetchTreeHeads(*http, *logs);
  size_t failed = 0;
  for (size_t i = 0; i < logs->size(); ++i) {
    const LogState& l = (*logs)[i];
    if (!heads[i].ok()) {
      ++failed;
      fmt::print(stderr, "warning: {}; tree size of {} not updated\n", heads[i].status().message(), l.url);
      continue;
    }
    uint64_t size = heads[i]->tree_size;
    if (size < l.tree_size)
      fmt::print(stderr, "warning: {} reports tree size {}, smaller than the {} already seen; keeping {}\n",
                 l.url, size, l.tree_size, l.tree_size);
    if (Status s = (*store)->UpdateTreeHead(l.url, size, heads[i]->sth); !s.ok())
      return Fail(s, Origin::kStateStore);
    fmt::print("{}\n", TreeSizeLine(l.url, std::max(size, l.tree_size), l.tree_size));
  }
  if (failed == logs->size())
    return {kExitNetwork, Unavailable(fmt::format("none of the {} logs could be reached", failed))};
  return Succeed();
}

}  // namespace ctdl::cli
