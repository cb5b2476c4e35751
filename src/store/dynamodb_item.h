// The DynamoDB item of one log (documented in doc/state.md and doc/aws.md). The seed's attributes
// keep their names and types so a table written by the seed loads and continues:
//   url (S, partition key)  description (S)  ct_log_type (S: rfc6962|tiled)
//   tree_size (N)           current_position (N)
// ctdl adds: submission_url, operator_name, log_id, key, list_state, sth, compact_range (S);
// mmd, verified_size, unverified_prefix, updated_at, advanced_at (N). Missing attributes read as empty / 0. Empty strings are never
// written (older DynamoDB versions and dynalite reject them): the attribute is removed instead.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "store/state_store.h"

namespace ctdl {

namespace ddb {
inline constexpr char kUrl[] = "url";
inline constexpr char kDescription[] = "description";
inline constexpr char kLogType[] = "ct_log_type";
inline constexpr char kTreeSize[] = "tree_size";
inline constexpr char kPosition[] = "current_position";
inline constexpr char kSubmissionUrl[] = "submission_url";
inline constexpr char kOperator[] = "operator_name";
inline constexpr char kLogId[] = "log_id";
inline constexpr char kKey[] = "key";
inline constexpr char kMmd[] = "mmd";
inline constexpr char kListState[] = "list_state";
inline constexpr char kSth[] = "sth";
inline constexpr char kVerifiedSize[] = "verified_size";
inline constexpr char kCompactRange[] = "compact_range";
inline constexpr char kUnverifiedPrefix[] = "unverified_prefix";
inline constexpr char kUpdatedAt[] = "updated_at";
inline constexpr char kAdvancedAt[] = "advanced_at";  // set by Advance only (LogState::advanced_at)
// Host rate items (HostRate): url = kHostRatePrefix + host, so they never collide with a log's url
// (which starts with "https://" or "http://"); List() skips them.
inline constexpr char kHostRatePrefix[] = "host-rate#";
inline constexpr char kHost[] = "host";
inline constexpr char kRps[] = "rps";
inline constexpr char kBurst[] = "burst";
inline constexpr char kRetryAfter[] = "retry_after";
inline constexpr char kPendingWrite[] = "pending_write";
// Leases (state_store.h) live on the item whose url is the lease key; an item made only for a lease
// (a key that is not a log) carries item_kind = "lease" and is not listed as a log.
inline constexpr char kLeaseOwner[] = "lease_owner";
inline constexpr char kLeaseCounter[] = "lease_counter";
inline constexpr char kLeaseExpires[] = "lease_expires_ms";
inline constexpr char kItemKind[] = "item_kind";
inline constexpr char kLeaseKind[] = "lease";
}  // namespace ddb

// {"S":"..."} and {"N":"..."}.
std::string DdbS(std::string_view s);
std::string DdbN(uint64_t n);
std::string DdbN(int64_t n);

// Parses one item ({"url":{"S":..},...}, the value of "Item" or an element of "Items").
// kCorrupt when url is missing or an attribute has the wrong type or an unparseable number.
Result<LogState> LogStateFromItemJson(std::string_view item_json);
// The lease attributes of an item (free when it has none); `is_lease_only` (optional) tells whether
// the item exists only for the lease (item_kind = "lease").
Result<Lease> LeaseFromItemJson(std::string_view item_json, bool* is_lease_only = nullptr);

// The item of one chunk in the chunk table (<TABLE>-chunks, doc/distributed.md): key url (S) +
// chunk (N, the index); size, counter, expires_at, position, rejected, updated_at (N); state, owner,
// compact_range, subtree_hash, note (S, left out when empty). ChunkItemJson writes `counter` as given.
std::string ChunkItemJson(const Chunk& chunk, uint64_t counter, int64_t updated_at);
Result<Chunk> ChunkFromItemJson(std::string_view item_json);

// {"N":"<decimal>"} of a finite double (6 significant digits).
std::string DdbDecimal(double d);
bool IsHostRateItemKey(std::string_view url);
bool IsHostRateItem(std::string_view item_json);  // an item (JSON) whose url has that prefix
// Parses a host rate item (url kHostRatePrefix + host; host, rps, burst, retry_after (N 0/1),
// operator_name, updated_at). kCorrupt when a number is unreadable or rps is missing.
Result<HostRate> HostRateFromItemJson(std::string_view item_json);

}  // namespace ctdl
