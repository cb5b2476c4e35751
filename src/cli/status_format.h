// Formatting of `ctdl status` (the seed's aligned table, and --json lines). Pure functions.
#pragma once

#include <string>
#include <vector>

#include "store/state_store.h"

namespace ctdl::cli {

// Sorted for display: RFC 6962 logs first, then tiled, each by url.
void SortForDisplay(std::vector<LogState>* logs);

// "12.34%" of tree_size done; "-" when the tree size is unknown (0).
std::string PercentComplete(const LogState& log);

// Which optional columns the table has (each a flag of `ctdl status`).
struct StatusColumns {
  bool verified = false;  // --verified: "VerifiedSize" and "Unverified" (UnverifiedText)
  bool lag = false;       // --lag: "Behind" (BehindText) and "AdvancedAgo" (AgeText of advanced_at)
  int64_t now_unix = 0;   // for AdvancedAgo
};

// Header "PercentComplete  CurrentPosition  End(tree_size)  LogType  URL" and one row per log,
// columns padded to their widest cell (numbers right-aligned). Ends with '\n'. The optional columns
// come after End(tree_size), verified ones first; every cell is free of spaces (scripts split rows).
std::string FormatStatusTable(const std::vector<LogState>& logs, const StatusColumns& columns);
inline std::string FormatStatusTable(const std::vector<LogState>& logs, bool verified = false) {
  StatusColumns c;
  c.verified = verified;
  return FormatStatusTable(logs, c);
}

// Entries between the position and the stored tree size, compact: "0", "1234", "123.5k", "1.2M",
// "1.23G"; "-" when the tree size is unknown (0).
std::string BehindText(const LogState& log);
// How long ago `unix_seconds` was, one cell: "12s", "5m", "3h", "4d"; "never" for 0; "0s" for a
// time in the future (clock skew between the writer and this host).
std::string AgeText(int64_t unix_seconds, int64_t now_unix);

// Entries [0, p) that ctdl took over without hashing them: the stored unverified_prefix, or the whole
// position when there is no Merkle state at all (a position from the seed's table not yet resumed).
uint64_t UnverifiedPrefix(const LogState& log);
// What is not verified, for the table: "-" when everything up to the position is verified,
// "[0,p)" for an unverified prefix, "(p,q]" ... see doc/cli.md. Kept free of spaces (one cell).
std::string UnverifiedText(const LogState& log);
// True when some of [0, position) is not proven (prefix or verified_size below the position).
bool HasUnverified(const LogState& log);

// One JSON object (no newline) with the seed's names (url, description, ct_log_type, tree_size,
// current_position) and the rest of the state (see doc/cli.md), including advanced_at (0: never).
// learnt_rps > 0: the rate limit learnt for the log's host (HostRate), as "learnt_rps".
std::string StatusJsonLine(const LogState& log, double learnt_rps = 0);

// The learnt rate limits, one line each ("rate limit learnt for HOST: R req/s (burst B, ...)"), for
// stderr under the status table (its stdout stays the seed's). "" when there are none.
std::string FormatHostRates(const std::vector<HostRate>& rates, int64_t now_unix);

// The seed's update line: "Found N more items. New tree size: A old tree size: B url: U".
std::string TreeSizeLine(const std::string& url, uint64_t new_size, uint64_t old_size);

}  // namespace ctdl::cli
