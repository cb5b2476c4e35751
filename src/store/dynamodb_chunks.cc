#include "store/dynamodb_chunks.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "base/log.h"
#include "store/dynamodb_item.h"

namespace ctdl {

DynamoDbChunks::DynamoDbChunks(DynamoDbClient* client, const std::string& table)
    : c_(client), table_(table + "-chunks") {}

int64_t DynamoDbChunks::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(c_->clock()->WallNow().time_since_epoch())
      .count();
}

Status DynamoDbChunks::Ensure(bool create, bool* exists) {
  std::lock_guard<std::mutex> l(mu_);
  *exists = active_;
  if (active_) return Status::Ok();
  std::string what = "open DynamoDB table " + table_;
  std::string describe = "{\"TableName\":" + JsonQuote(table_) + "}";
  TRY_ASSIGN(DdbReply r, c_->Send("DescribeTable", describe, what));
  if (!r.ok() && r.type == "ResourceNotFoundException") {
    if (!create) return Status::Ok();
    LOG_INFO("creating DynamoDB table {} (on-demand; key url + chunk) for chunk leases", table_);
    std::string req = fmt::format(
        "{{\"TableName\":{},\"AttributeDefinitions\":[{{\"AttributeName\":\"url\",\"AttributeType\":"
        "\"S\"}},{{\"AttributeName\":\"chunk\",\"AttributeType\":\"N\"}}],\"KeySchema\":[{{"
        "\"AttributeName\":\"url\",\"KeyType\":\"HASH\"}},{{\"AttributeName\":\"chunk\",\"KeyType\":"
        "\"RANGE\"}}],\"BillingMode\":\"PAY_PER_REQUEST\"}}",
        JsonQuote(table_));
    TRY_ASSIGN(DdbReply cr, c_->Send("CreateTable", req, "create DynamoDB table " + table_));
    if (!cr.ok() && cr.type != "ResourceInUseException")
      return c_->ErrorFor(cr, "create DynamoDB table " + table_, table_);
    TRY_ASSIGN(r, c_->Send("DescribeTable", describe, what));
  }
  SteadyTime deadline = c_->clock()->Now() + c_->options().table_active_timeout;
  for (int i = 0;; i++) {
    if (!r.ok()) return c_->ErrorFor(r, what, table_);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view status;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS ||
        doc["Table"]["TableStatus"].get(status) != simdjson::SUCCESS)
      return Corrupt(what + ": DescribeTable reply has no TableStatus");
    if (status == "ACTIVE" || status == "UPDATING") break;
    if (status != "CREATING" || c_->clock()->Now() > deadline)
      return Unavailable(fmt::format("{}: table status is {}, not ACTIVE", what, status));
    c_->clock()->SleepFor(std::chrono::milliseconds(std::min(1000, 50 << std::min(i, 5))));
    TRY_ASSIGN(r, c_->Send("DescribeTable", describe, what));
  }
  active_ = *exists = true;
  return Status::Ok();
}

Result<std::vector<Chunk>> DynamoDbChunks::List(const std::string& url) {
  bool exists = false;
  TRY(Ensure(false, &exists));
  std::vector<Chunk> out;
  if (!exists) return out;
  std::string req = fmt::format(
      "{{\"TableName\":{},\"ConsistentRead\":true,\"KeyConditionExpression\":\"#u = :u\","
      "\"ExpressionAttributeNames\":{{\"#u\":\"url\"}},\"ExpressionAttributeValues\":{{\":u\":{}}}",
      JsonQuote(table_), DdbS(url));
  TRY(c_->SendPaged("Query", req, "list the chunks of " + url + " in DynamoDB table " + table_, table_,
                    [&](std::string_view item) -> Status {
                      TRY_ASSIGN(Chunk c, ChunkFromItemJson(item));
                      out.push_back(std::move(c));
                      return Status::Ok();
                    }));
  return out;
}

Result<std::optional<Chunk>> DynamoDbChunks::Get(const std::string& url, uint64_t index) {
  std::string req =
      fmt::format("{{\"TableName\":{},\"Key\":{{\"url\":{},\"chunk\":{}}},\"ConsistentRead\":true}}",
                  JsonQuote(table_), DdbS(url), DdbN(index));
  std::string what = fmt::format("read chunk {} of {} from DynamoDB table {}", index, url, table_);
  TRY_ASSIGN(DdbReply r, c_->Send("GetItem", req, what));
  if (!r.ok()) return c_->ErrorFor(r, what, table_);
  simdjson::dom::parser parser;
  simdjson::dom::element doc, item;
  if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) return Corrupt(what + ": reply is not JSON");
  if (doc["Item"].get(item) != simdjson::SUCCESS) return std::optional<Chunk>();
  TRY_ASSIGN(Chunk c, ChunkFromItemJson(simdjson::to_string(item)));
  return std::optional<Chunk>(std::move(c));
}

Status DynamoDbChunks::Put(const Chunk& c, uint64_t expected) {
  bool exists = false;
  TRY(Ensure(true, &exists));
  // DynamoDB refuses attribute names an expression does not use: #u only for a first write.
  std::string cond = expected == 0 ? "attribute_not_exists(#u) OR #c = :e" : "#c = :e";
  std::string names = expected == 0 ? "{\"#u\":\"url\",\"#c\":\"counter\"}" : "{\"#c\":\"counter\"}";
  std::string req = fmt::format(
      "{{\"TableName\":{},\"Item\":{},\"ConditionExpression\":{},\"ExpressionAttributeNames\":{},"
      "\"ExpressionAttributeValues\":{{\":e\":{}}}}}",
      JsonQuote(table_), ChunkItemJson(c, expected + 1, Now()), JsonQuote(cond), names, DdbN(expected));
  std::string what = fmt::format("write chunk {} of {} (lease counter {})", c.index, c.url, expected);
  TRY_ASSIGN(DdbReply r, c_->Send("PutItem", req, what));
  if (r.ok()) return Status::Ok();
  if (r.type != "ConditionalCheckFailedException") return c_->ErrorFor(r, what, table_);
  TRY_ASSIGN(auto got, Get(c.url, c.index));
  if (!got) return NotFound(fmt::format("chunk {} of {} does not exist", c.index, c.url));
  if (r.attempts > 1 && got->counter == expected + 1 && got->owner == c.owner &&
      got->state == c.state && got->position == c.position && got->expires_at == c.expires_at)
    return Status::Ok();  // our earlier attempt landed; its reply was lost
  return Conflict(fmt::format("chunk {} of {} has lease counter {}, not {}: another worker wrote it",
                              c.index, c.url, got->counter, expected));
}

}  // namespace ctdl
