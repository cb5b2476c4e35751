#include "cli/log_lookup.h"

#include <fmt/format.h>

#include "cli/suggest.h"
#include "ct/log_url.h"
#include "ct/rfc6962_requests.h"

namespace ctdl::cli {

Result<LogState> LookUpRegisteredLog(StateStore& store, const std::string& raw_url,
                                     const std::string& state_uri) {
  TRY_ASSIGN(std::string url, CanonicalTiledLogUrl(raw_url));  // file:// folders too
  if (std::string w = MetadataHostWarning(url); !w.empty()) fmt::print(stderr, "warning: {}\n", w);
  TRY_ASSIGN(auto got, store.Get(url));
  if (!got && NormalizeLogUrl(raw_url) != url) {
    TRY_ASSIGN(got, store.Get(NormalizeLogUrl(raw_url)));  // an older ctdl's spelling
  }
  if (!got) {
    std::vector<std::string> known;
    if (auto logs = store.List(); logs.ok())
      for (const auto& log : *logs) known.push_back(log.url);
    std::string nearest = ClosestMatch(url, known, /*max_edits=*/3);  // URLs share long prefixes
    return NotFound(fmt::format("log {} is not registered in {}{}; run `ctdl status` to see the "
                                "registered logs, or `ctdl init` to register logs from a log list",
                                url, state_uri, nearest.empty() ? "" : fmt::format(" (did you mean {}?)", nearest)));
  }
  return *got;
}

}  // namespace ctdl::cli
