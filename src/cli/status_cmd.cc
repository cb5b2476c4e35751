// ctdl status and ctdl update-tree-size.
#include <fmt/format.h>

#include <ctime>
#include <memory>
#include <optional>
#include <vector>

#include "cli/backends.h"
#include "cli/chunk_status.h"
#include "cli/commands.h"
#include "net/file_http_client.h"
#include "cli/status_format.h"
#include "cli/tree_size.h"
#include "sync/host_rates.h"

namespace ctdl::cli {

namespace {

// What status and update-tree-size start from: the existing store and its logs, sorted for display.
struct Registered {
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<StateStore> store;
  std::vector<LogState> logs;
};

// Fills *r; returns the Failure to end the command with when that is not possible, or success (after
// a hint) when no log is registered. nullopt: go on with r->logs.
std::optional<Failure> OpenRegistered(const GlobalOptions& global, Registered* r) {
  if (Status s = CheckStateUri(global.state_uri); !s.ok()) return Fail(s, Origin::kInput);
  r->http = NewHttpClient(global.Curl());
  auto store = OpenStateStore(global.state_uri, r->http.get(), /*create=*/false);
  if (!store.ok()) return Fail(store.status(), Origin::kStateStore);
  r->store = std::move(store).value();
  auto logs = r->store->List();
  if (!logs.ok()) return Fail(logs.status(), Origin::kStateStore);
  if (logs->empty()) {
    fmt::print(stderr, "No logs are registered in {}; run `ctdl init` to register logs.\n", global.state_uri);
    return Succeed();
  }
  r->logs = std::move(logs).value();
  SortForDisplay(&r->logs);
  return std::nullopt;
}

}  // namespace

Failure RunStatus(const GlobalOptions& global, const StatusOptions& options) {
  Registered reg;
  if (auto done = OpenRegistered(global, &reg)) return *done;
  auto* logs = &reg.logs;
  std::vector<HostRate> rates;
  if (auto r = reg.store->ListHostRates(); r.ok()) rates = std::move(r).value();
  if (options.json) {
    for (const auto& l : *logs) {
      double learnt = 0;
      for (const HostRate& h : rates)
        if (h.host == RateHostKey(l.url)) learnt = h.rps;
      fmt::print("{}\n", StatusJsonLine(l, learnt));
    }
  } else {
    StatusColumns columns;
    columns.verified = options.verified;
    columns.lag = options.lag;
    columns.now_unix = static_cast<int64_t>(std::time(nullptr));
    fmt::print("{}", FormatStatusTable(*logs, columns));
    for (const auto& l : *logs) {  // distributed downloads: their chunks
      auto chunks = reg.store->ListChunks(l.url);
      if (!chunks.ok()) return Fail(chunks.status(), Origin::kStateStore);
      fmt::print("{}", FormatChunkStatus(l, *chunks, static_cast<int64_t>(std::time(nullptr))));
    }
    size_t unverified = 0;
    for (const auto& l : *logs) unverified += HasUnverified(l) ? 1 : 0;
    // The seed's table stays as it was (scripts parse it); the note goes to stderr.
    if (unverified && !options.verified)
      fmt::print(stderr,
                 "note: {} of {} logs have downloaded entries that are not Merkle-verified; `ctdl status "
                 "--verified` shows which\n",
                 unverified, logs->size());
    fmt::print(stderr, "{}", FormatHostRates(rates, static_cast<int64_t>(std::time(nullptr))));
  }
  return Succeed();
}

Failure RunUpdateTreeSize(const GlobalOptions& global) {
  Registered reg;
  if (auto done = OpenRegistered(global, &reg)) return *done;
  auto* logs = &reg.logs;
  HttpClient* http = reg.http.get();
  StateStore* store = reg.store.get();
  // Each new head is stored only after its signature and its consistency with the stored head are
  // proven (doc/verification.md section 2). A log that fails is refused loudly and keeps its state.
  FetchOptions fetch_options;
  fetch_options.prove_consistency = true;
  auto heads = FetchTreeHeads(*http, *logs, 16, fetch_options, /*verify=*/true);
  size_t failed = 0;
  std::vector<std::string> refused;
  for (size_t i = 0; i < logs->size(); ++i) {
    const LogState& l = (*logs)[i];
    if (!heads[i].ok()) {
      Code c = heads[i].status().code();
      if (c == Code::kVerifyFailed || c == Code::kInvalidArgument) {
        refused.push_back(l.url);
        fmt::print(stderr, "error: VERIFICATION FAILED: {}; the state of {} is unchanged\n",
                   heads[i].status().message(), l.url);
        continue;
      }
      ++failed;
      fmt::print(stderr, "warning: {}; tree size of {} not updated\n", heads[i].status().message(), l.url);
      continue;
    }
    uint64_t size = heads[i]->tree_size;
    if (heads[i]->lagging)
      fmt::print(stderr,
                 "warning: {} served tree size {}, older than the stored {} (a lagging frontend?); "
                 "it is a proven prefix of the stored tree, which is kept\n",
                 l.url, size, l.tree_size);
    if (Status s = store->UpdateTreeHead(l.url, size, heads[i]->sth); !s.ok())
      return Fail(s, Origin::kStateStore);
    fmt::print("{}\n", TreeSizeLine(l.url, std::max(size, l.tree_size), l.tree_size));
  }
  if (!refused.empty())
    return {kExitVerifyFailed,
            VerifyFailed(fmt::format("{} of {} logs served a tree head that did not verify (first: {}); "
                                     "their state is unchanged",
                                     refused.size(), logs->size(), refused.front()))};
  if (failed == logs->size())
    return {kExitNetwork, Unavailable(fmt::format("none of the {} logs could be reached", failed))};
  return Succeed();
}

}  // namespace ctdl::cli
