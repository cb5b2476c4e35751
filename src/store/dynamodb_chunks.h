// The chunk table of the DynamoDB state store: "<TABLE>-chunks", partition key url (S), sort key
// chunk (N), on-demand billing, created by the first chunk write (doc/distributed.md, doc/aws.md).
// A separate table keeps the seed's one-key layout of TABLE intact and lets ListChunks be one Query
// per log instead of a Scan of every log's chunks.
//   ListChunks  Query url = :u (consistent read, follows LastEvaluatedKey); no table: no chunks.
//   PutChunk    PutItem with ConditionExpression counter = :expected (0: or attribute_not_exists).
//               A lost reply whose write landed (the retry then fails the condition) is recognised
//               by reading the item back: ok when it is exactly what this call wrote.
// Thread-safe (the table check runs once, under a mutex).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/chunk.h"
#include "store/dynamodb_client.h"

namespace ctdl {

class DynamoDbChunks {
 public:
  // `client` must outlive this object; table: the state table's name (the chunk table is derived).
  DynamoDbChunks(DynamoDbClient* client, const std::string& table);
  Result<std::vector<Chunk>> List(const std::string& url);
  Status Put(const Chunk& chunk, uint64_t expected_counter);
  const std::string& table() const { return table_; }

 private:
  // Ok when the table exists (creating it first if `create`); sets *exists.
  Status Ensure(bool create, bool* exists);
  Result<std::optional<Chunk>> Get(const std::string& url, uint64_t index);
  int64_t Now() const;

  DynamoDbClient* c_;
  std::string table_;
  std::mutex mu_;
  bool active_ = false;  // under mu_
};

}  // namespace ctdl
