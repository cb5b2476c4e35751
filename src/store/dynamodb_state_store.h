// DynamoDbStateStore: the state in a DynamoDB table ("--state dynamodb:TABLE", default table
// CT_STATE_TABLE), one item per log in the seed's layout (store/dynamodb_item.h, doc/state.md), so a
// table written by the seed loads and continues from its current_position.
//
//   Get       GetItem (consistent read)          List  Scan (consistent, follows LastEvaluatedKey)
//   Register  one UpdateItem per log; a second only when the stored tree_size is not smaller
//             (metadata refresh without touching tree_size/sth). Positions are kept with
//             if_not_exists(...) unless reset. All logs are validated before the first write; each
//             log's item changes atomically, the batch as a whole does not (DynamoDB has no
//             transactions on every compatible server).
//   UpdateTreeHead  UpdateItem conditioned on tree_size <= new size.
//   Advance   UpdateItem with ConditionExpression current_position = :expected. A lost race is
//             kConflict naming the stored and expected positions. If the write landed but its reply
//             was lost (the retry then fails the condition) the stored value is ours and it is ok.
// Errors: as StateStore, plus kInvalidArgument for credentials (403) or a bad table name, kNotFound
// for a missing table (with the command that creates it), kUnavailable after retries.
// Thread safety: safe to call from several threads.
#pragma once

#include <memory>
#include <string>

#include "net/http_client.h"
#include "store/dynamodb_client.h"
#include "store/state_store.h"

namespace ctdl {

inline constexpr char kDefaultDynamoDbTable[] = "CT_STATE_TABLE";

// Opens the table. With create_if_missing, a missing table is created (PAY_PER_REQUEST, partition
// key url (S)) and this waits until it is ACTIVE; otherwise a missing table is kNotFound.
// An existing table must have partition key `url` (S). `http` must outlive the store.
Result<std::unique_ptr<StateStore>> OpenDynamoDbStateStore(std::string table, HttpClient* http,
                                                           bool create_if_missing = true);
Result<std::unique_ptr<StateStore>> OpenDynamoDbStateStore(std::string table, HttpClient* http,
                                                           bool create_if_missing,
                                                           const DynamoDbOptions& options);

}  // namespace ctdl
