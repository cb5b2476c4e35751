#include "store/dynamodb_state_store.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <vector>

#include "base/log.h"
#include "store/dynamodb_chunks.h"
#include "store/dynamodb_item.h"
#include "store/lease.h"

namespace ctdl {
namespace {

// Builds an UpdateItem request. Attribute names are always aliased (#name): "key" and "url" are
// DynamoDB reserved words.
class Update {
 public:
  std::string Name(const char* attr) {
    std::string n = std::string("#") + attr;
    names_[n] = attr;
    return n;
  }
  std::string Value(std::string json) {
    std::string v = ":v" + std::to_string(values_.size());
    values_.emplace_back(v, std::move(json));
    return v;
  }
  void SetS(const char* attr, const std::string& s) {
    if (s.empty()) remove_.push_back(Name(attr));
    else set_.push_back(Name(attr) + " = " + Value(DdbS(s)));
  }
  template <typename N>
  std::string SetN(const char* attr, N n) {
    std::string v = Value(DdbN(n));
    set_.push_back(Name(attr) + " = " + v);
    return v;
  }
  void SetIfMissingN(const char* attr, uint64_t n) {
    std::string a = Name(attr);
    set_.push_back(a + " = if_not_exists(" + a + ", " + Value(DdbN(n)) + ")");
  }
  void Remove(const char* attr) { remove_.push_back(Name(attr)); }
  void Set(const char* attr, std::string value_json) {
    set_.push_back(Name(attr) + " = " + Value(std::move(value_json)));
  }

  std::string Json(const std::string& table, const std::string& url, const std::string& condition) const {
    std::string expr;
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    if (!set_.empty()) expr += "SET " + join(set_);
    if (!remove_.empty()) expr += (expr.empty() ? "" : " ") + std::string("REMOVE ") + join(remove_);
    std::string j = fmt::format("{{\"TableName\":{},\"Key\":{{\"url\":{}}},\"UpdateExpression\":{}",
                                JsonQuote(table), DdbS(url), JsonQuote(expr));
    if (!condition.empty()) j += ",\"ConditionExpression\":" + JsonQuote(condition);
    j += ",\"ExpressionAttributeNames\":{";
    bool first = true;
    for (const auto& [k, v] : names_) {
      j += fmt::format("{}{}:{}", first ? "" : ",", JsonQuote(k), JsonQuote(v));
      first = false;
    }
    j += "}";
    if (!values_.empty()) {
      j += ",\"ExpressionAttributeValues\":{";
      first = true;
      for (const auto& [k, v] : values_) {
        j += fmt::format("{}{}:{}", first ? "" : ",", JsonQuote(k), v);
        first = false;
      }
      j += "}";
    }
    return j + "}";
  }

 private:
  std::map<std::string, std::string> names_;
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::string> set_, remove_;
};

bool ValidTable(std::string_view t) {
  if (t.size() < 3 || t.size() > 255) return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

class DynamoDbStateStore : public StateStore {
 public:
  DynamoDbStateStore(std::string table, std::unique_ptr<DynamoDbClient> c)
      : table_(std::move(table)), c_(std::move(c)), chunks_(c_.get(), table_) {}

  Status Init(bool create) {
    std::string what = "open DynamoDB table " + table_;
    std::string describe = "{\"TableName\":" + JsonQuote(table_) + "}";
    // A down endpoint is reported after a few quick attempts rather than long backoff.
    TRY_ASSIGN(DdbReply r, c_->Send("DescribeTable", describe, what, 3));
    if (!r.ok() && r.type == "ResourceNotFoundException" && create) {
      LOG_INFO("creating DynamoDB table {} (on-demand, partition key url)", table_);
      std::string req = fmt::format(
          "{{\"TableName\":{},\"AttributeDefinitions\":[{{\"AttributeName\":\"url\",\"AttributeType\":"
          "\"S\"}}],\"KeySchema\":[{{\"AttributeName\":\"url\",\"KeyType\":\"HASH\"}}],"
          "\"BillingMode\":\"PAY_PER_REQUEST\"}}",
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
      if (parser.parse(r.body).get(doc) != simdjson::SUCCESS)
        return Corrupt(what + ": DescribeTable reply is not JSON");
      std::string_view status;
      if (doc["Table"]["TableStatus"].get(status) != simdjson::SUCCESS)
        return Corrupt(what + ": DescribeTable reply has no TableStatus");
      TRY(CheckKeySchema(doc["Table"]["KeySchema"]));
      if (status == "ACTIVE" || status == "UPDATING") return Status::Ok();
      if (status != "CREATING")
        return Unavailable(fmt::format("{}: table status is {}, not ACTIVE", what, status));
      if (c_->clock()->Now() > deadline)
        return Unavailable(fmt::format("{}: table still CREATING after waiting; try again later", what));
      c_->clock()->SleepFor(std::chrono::milliseconds(std::min(1000, 50 << std::min(i, 5))));
      TRY_ASSIGN(r, c_->Send("DescribeTable", describe, what));
    }
  }

  Result<std::vector<LogState>> List() override {
    std::vector<LogState> out;
    TRY(c_->SendPaged("Scan", "{\"TableName\":" + JsonQuote(table_) + ",\"ConsistentRead\":true",
                      "scan DynamoDB table " + table_, table_, [&](std::string_view item) -> Status {
                        if (IsHostRateItem(item)) return Status::Ok();  // not a log (HostRate)
                        bool lease_only = false;
                        TRY(LeaseFromItemJson(item, &lease_only).status());
                        if (lease_only) return Status::Ok();  // a lease on a key that is not a log
                        TRY_ASSIGN(LogState s, LogStateFromItemJson(item));
                        out.push_back(std::move(s));
                        return Status::Ok();
                      }));
    std::sort(out.begin(), out.end(), [](const LogState& a, const LogState& b) { return a.url < b.url; });
    return out;
  }

  Result<std::optional<HostRate>> GetHostRate(const std::string& host) override {
    std::string key = ddb::kHostRatePrefix + host;
    std::string req = fmt::format("{{\"TableName\":{},\"Key\":{{\"url\":{}}},\"ConsistentRead\":true}}",
                                  JsonQuote(table_), DdbS(key));
    std::string what = "read the rate of host " + host + " from DynamoDB table " + table_;
    TRY_ASSIGN(DdbReply r, c_->Send("GetItem", req, what));
    if (!r.ok()) return c_->ErrorFor(r, what, table_);
    simdjson::dom::parser parser;
    simdjson::dom::element doc, item;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) return Corrupt(what + ": reply is not JSON");
    if (doc["Item"].get(item) != simdjson::SUCCESS) return std::optional<HostRate>();
    TRY_ASSIGN(HostRate h, HostRateFromItemJson(simdjson::to_string(item)));
    return std::optional<HostRate>(std::move(h));
  }

  Result<std::vector<HostRate>> ListHostRates() override {
    std::vector<HostRate> out;
    TRY(c_->SendPaged("Scan", "{\"TableName\":" + JsonQuote(table_) + ",\"ConsistentRead\":true",
                      "scan DynamoDB table " + table_, table_, [&](std::string_view item) -> Status {
                        if (!IsHostRateItem(item)) return Status::Ok();
                        TRY_ASSIGN(HostRate h, HostRateFromItemJson(item));
                        out.push_back(std::move(h));
                        return Status::Ok();
                      }));
    std::sort(out.begin(), out.end(), [](const HostRate& a, const HostRate& b) { return a.host < b.host; });
    return out;
  }

  Status PutHostRate(const HostRate& h) override {
    TRY(CheckHostRate(h));
    Update u;
    u.SetS(ddb::kHost, h.host);
    u.Set(ddb::kRps, DdbDecimal(h.rps));
    u.Set(ddb::kBurst, DdbDecimal(h.burst));
    u.SetN(ddb::kRetryAfter, int64_t{h.retry_after ? 1 : 0});
    u.SetS(ddb::kOperator, h.operator_name);
    u.SetN(ddb::kUpdatedAt, Now());
    std::string what = "store the rate of host " + h.host + " in DynamoDB table " + table_;
    TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, ddb::kHostRatePrefix + h.host, ""), what));
    if (!r.ok()) return c_->ErrorFor(r, what, table_);
    return Status::Ok();
  }

  Result<std::optional<LogState>> Get(const std::string& url) override {
    TRY_ASSIGN(std::optional<std::string> item, GetItem(url));
    if (!item) return std::optional<LogState>();
    bool lease_only = false;
    TRY(LeaseFromItemJson(*item, &lease_only).status());
    if (lease_only) return std::optional<LogState>();
    TRY_ASSIGN(LogState s, LogStateFromItemJson(*item));
    return std::optional<LogState>(std::move(s));
  }

  Status Register(const std::vector<LogState>& logs, bool reset) override {
    for (const auto& l : logs) {
      if (l.url.empty()) return InvalidArgument("cannot register a log with an empty url");
      if (l.url.size() > 2048) return InvalidArgument("log url longer than 2048 bytes: " + l.url.substr(0, 80));
    }
    for (const auto& l : logs) TRY(RegisterOne(l, reset));
    return Status::Ok();
  }

  Status UpdateTreeHead(const std::string& url, uint64_t tree_size, const std::string& sth) override {
    Update u;
    std::string ts = u.SetN(ddb::kTreeSize, tree_size);
    u.SetS(ddb::kSth, sth);
    u.SetN(ddb::kUpdatedAt, Now());
    std::string cond = u.Name(ddb::kUrl);
    // An equal size refreshes sth (doc/state.md); a smaller one is ignored.
    cond = "attribute_exists(" + cond + ") AND (attribute_not_exists(" + u.Name(ddb::kTreeSize) +
           ") OR " + u.Name(ddb::kTreeSize) + " <= " + ts + ")";
    std::string what = "update tree size of " + url;
    TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, url, cond), what));
    if (r.ok()) return Status::Ok();
    if (r.type != "ConditionalCheckFailedException") return c_->ErrorFor(r, what, table_);
    TRY_ASSIGN(auto got, Get(url));
    if (!got) return NotFound(fmt::format("log {} is not registered in DynamoDB table {}", url, table_));
    return Status::Ok();  // stored tree is as large or larger: nothing to do
  }

  Status Advance(const std::string& url, uint64_t expected, const Progress& p) override {
    Update u;
    u.Remove(ddb::kPendingWrite);
    u.SetN(ddb::kPosition, p.position);
    u.SetN(ddb::kVerifiedSize, p.verified_size);
    u.SetS(ddb::kCompactRange, p.compact_range);
    u.SetN(ddb::kUnverifiedPrefix, p.unverified_prefix);
    const int64_t now = Now();
    u.SetN(ddb::kUpdatedAt, now);
    u.SetN(ddb::kAdvancedAt, now);
    std::string pos = u.Name(ddb::kPosition);
    std::string e = u.Value(DdbN(expected));
    std::string cond = expected == 0 ? "attribute_exists(" + u.Name(ddb::kUrl) + ") AND (attribute_not_exists(" +
                                           pos + ") OR " + pos + " = " + e + ")"
                                     : pos + " = " + e;
    if (!p.lease_owner.empty())
      cond = "(" + cond + ") AND " + HeldCondition(u, p.lease_owner, p.lease_counter);
    std::string what = fmt::format("advance {} to {}", url, p.position);
    TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, url, cond), what));
    if (r.ok()) return Status::Ok();
    if (r.type != "ConditionalCheckFailedException") return c_->ErrorFor(r, what, table_);
    TRY_ASSIGN(auto got, Get(url));
    if (!got) return NotFound(fmt::format("log {} is not registered in DynamoDB table {}", url, table_));
    if (r.attempts > 1 && got->position == p.position && got->verified_size == p.verified_size &&
        got->compact_range == p.compact_range && got->unverified_prefix == p.unverified_prefix)
      return Status::Ok();  // our earlier attempt landed; its reply was lost
    if (got->position == expected && !p.lease_owner.empty()) {
      TRY_ASSIGN(Lease stored, GetLease(url));
      return LeaseLost({url, p.lease_owner, p.lease_counter}, stored);
    }
    return Conflict(fmt::format(
        "log {}: DynamoDB table {} has position {}, this process expected {}; another ctdl (or the "
        "seed) is downloading this log, or its state was reset. Stop the other process and rerun",
        url, table_, got->position, expected));
  }

  Result<std::vector<Chunk>> ListChunks(const std::string& url) override { return chunks_.List(url); }
  Status PutChunk(const Chunk& chunk, uint64_t expected_counter) override {
    return chunks_.Put(chunk, expected_counter);
  }

  Result<Lease> GetLease(const std::string& key) override {
    TRY_ASSIGN(std::optional<std::string> item, GetItem(key));
    if (!item) return Lease{key, "", 0, 0};
    TRY_ASSIGN(Lease l, LeaseFromItemJson(*item));
    l.key = key;
    return l;
  }

  // Read, decide (state_store.h's rule), then a write conditioned on what was read; a lost race is
  // decided again from a fresh read (a few times).
  Result<Lease> AcquireLease(const std::string& key, const std::string& owner, int64_t now_ms, int64_t ttl_ms,
                             const std::string& dead_owner) override {
    if (key.empty() || owner.empty()) return InvalidArgument("a lease needs a key and an owner");
    for (int attempt = 0;; ++attempt) {
      TRY_ASSIGN(std::optional<std::string> item, GetItem(key));
      Lease seen{key, "", 0, 0};
      if (item) {
        TRY_ASSIGN(seen, LeaseFromItemJson(*item));
        seen.key = key;
      }
      Lease want = seen;
      want.expires_ms = now_ms + ttl_ms;
      Update u;
      std::string cond;
      if (seen.owner == owner) {
        cond = HeldCondition(u, owner, seen.counter);
      } else {
        if (!seen.Free(now_ms) && (dead_owner.empty() || seen.owner != dead_owner))
          return LeaseHeld(seen, now_ms);
        want.owner = owner;
        ++want.counter;
        std::string n = u.Name(ddb::kLeaseCounter), o = u.Name(ddb::kLeaseOwner);
        if (!item) {
          u.SetS(ddb::kItemKind, ddb::kLeaseKind);
          cond = "attribute_not_exists(" + u.Name(ddb::kUrl) + ")";
        } else {
          cond = seen.counter == 0
                     ? "attribute_exists(" + u.Name(ddb::kUrl) + ") AND attribute_not_exists(" + n + ")"
                     : n + " = " + u.Value(DdbN(seen.counter));
          std::string free = "attribute_not_exists(" + o + ") OR " + u.Name(ddb::kLeaseExpires) +
                             " <= " + u.Value(DdbN(now_ms));
          if (!seen.owner.empty() && seen.owner == dead_owner)
            free += " OR " + o + " = " + u.Value(DdbS(dead_owner));
          cond += " AND (" + free + ")";
        }
        u.SetS(ddb::kLeaseOwner, owner);
        u.SetN(ddb::kLeaseCounter, want.counter);
      }
      u.SetN(ddb::kLeaseExpires, want.expires_ms);
      std::string what = "take the lease on " + key + " in DynamoDB table " + table_;
      TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, key, cond), what));
      if (r.ok()) return want;
      if (r.type != "ConditionalCheckFailedException") return c_->ErrorFor(r, what, table_);
      if (attempt >= 4) {
        TRY_ASSIGN(Lease now, GetLease(key));
        if (now.owner == owner && now.counter == want.counter) return now;  // landed, reply lost
        return LeaseHeld(now, now_ms);
      }
    }
  }

  Result<Lease> RenewLease(const Lease& held, int64_t now_ms, int64_t ttl_ms) override {
    Update u;
    Lease l = held;
    l.expires_ms = now_ms + ttl_ms;
    u.SetN(ddb::kLeaseExpires, l.expires_ms);
    TRY(WriteHeld(u, held, "renew the lease on " + held.key));
    return l;
  }

  Status ReleaseLease(const Lease& held) override {
    Update u;
    u.Remove(ddb::kLeaseOwner);
    u.SetN(ddb::kLeaseExpires, int64_t{0});
    Status s = WriteHeld(u, held, "release the lease on " + held.key);
    return s.code() == Code::kConflict ? Status::Ok() : s;
  }

  Status RecordPendingWrite(const std::string& url, const Lease& held, const std::string& pending) override {
    TRY_ASSIGN(auto log, Get(url));
    if (!log) return NotFound(fmt::format("log {} is not registered in DynamoDB table {}", url, table_));
    Update u;
    u.SetS(ddb::kPendingWrite, pending);
    return WriteHeld(u, held, "record the pending write of " + url);
  }

 private:
  Result<std::optional<std::string>> GetItem(const std::string& url) {
    std::string req = fmt::format("{{\"TableName\":{},\"Key\":{{\"url\":{}}},\"ConsistentRead\":true}}",
                                  JsonQuote(table_), DdbS(url));
    std::string what = "read " + url + " from DynamoDB table " + table_;
    TRY_ASSIGN(DdbReply r, c_->Send("GetItem", req, what));
    if (!r.ok()) return c_->ErrorFor(r, what, table_);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) return Corrupt(what + ": reply is not JSON");
    simdjson::dom::element item;
    if (doc["Item"].get(item) != simdjson::SUCCESS) return std::optional<std::string>();
    return std::optional<std::string>(simdjson::to_string(item));
  }

  // "lease_owner = :o AND lease_counter = :c" in u's names and values.
  static std::string HeldCondition(Update& u, const std::string& owner, uint64_t counter) {
    return u.Name(ddb::kLeaseOwner) + " = " + u.Value(DdbS(owner)) + " AND " + u.Name(ddb::kLeaseCounter) +
           " = " + u.Value(DdbN(counter));
  }

  // Applies u on held.key only while `held` is the stored lease; kConflict (LeaseLost) otherwise. A
  // retried renew or pending write whose first attempt landed still meets the condition.
  Status WriteHeld(Update& u, const Lease& held, const std::string& what) {
    std::string cond = HeldCondition(u, held.owner, held.counter);
    TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, held.key, cond), what));
    if (r.ok()) return Status::Ok();
    if (r.type != "ConditionalCheckFailedException") return c_->ErrorFor(r, what, table_);
    TRY_ASSIGN(Lease stored, GetLease(held.key));
    return LeaseLost(held, stored);
  }

  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(c_->clock()->WallNow().time_since_epoch()).count();
  }

  static Status CheckKeySchema(simdjson::simdjson_result<simdjson::dom::element> ks) {
    simdjson::dom::array arr;
    if (ks.get(arr) != simdjson::SUCCESS) return Status::Ok();  // not reported: assume fine
    bool ok = arr.size() == 1;
    for (simdjson::dom::element k : arr) {
      std::string_view name, type;
      if (k["AttributeName"].get(name) != simdjson::SUCCESS || k["KeyType"].get(type) != simdjson::SUCCESS ||
          name != "url" || type != "HASH")
        ok = false;
    }
    if (!ok)
      return InvalidArgument(
          "the DynamoDB table's key schema is not ctdl's (and the seed's): it needs exactly one "
          "partition key `url` (S). Use another table name");
    return Status::Ok();
  }

  void Metadata(const LogState& l, bool reset, Update* u) const {
    u->SetS(ddb::kDescription, l.description);
    u->SetS(ddb::kLogType, l.log_type.empty() ? "rfc6962" : l.log_type);
    u->SetS(ddb::kSubmissionUrl, l.submission_url);
    u->SetS(ddb::kOperator, l.operator_name);
    u->SetS(ddb::kLogId, l.log_id);
    u->SetS(ddb::kKey, l.key);
    u->SetN(ddb::kMmd, l.mmd);
    u->SetS(ddb::kListState, l.list_state);
    u->SetN(ddb::kUpdatedAt, Now());
    if (reset) {
      u->SetN(ddb::kPosition, uint64_t{0});
      u->SetN(ddb::kVerifiedSize, uint64_t{0});
      u->Remove(ddb::kCompactRange);
      u->Remove(ddb::kUnverifiedPrefix);
      u->Remove(ddb::kAdvancedAt);
    } else {
      u->SetIfMissingN(ddb::kPosition, 0);
      u->SetIfMissingN(ddb::kVerifiedSize, 0);
    }
  }

  Status RegisterOne(const LogState& l, bool reset) {
    std::string what = "register " + l.url + " in DynamoDB table " + table_;
    if (l.tree_size > 0) {
      // One write when the tree grew (or the log is new)...
      Update u;
      Metadata(l, reset, &u);
      std::string ts = u.SetN(ddb::kTreeSize, l.tree_size);
      u.SetS(ddb::kSth, l.sth);
      std::string cond = "attribute_not_exists(" + u.Name(ddb::kTreeSize) + ") OR " +
                         u.Name(ddb::kTreeSize) + " < " + ts;
      TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, l.url, cond), what));
      if (r.ok()) return Status::Ok();
      if (r.type != "ConditionalCheckFailedException") return c_->ErrorFor(r, what, table_);
    }
    // ...else metadata only; tree_size/sth stay.
    Update u;
    Metadata(l, reset, &u);
    u.SetIfMissingN(ddb::kTreeSize, 0);
    TRY_ASSIGN(DdbReply r, c_->Send("UpdateItem", u.Json(table_, l.url, ""), what));
    if (!r.ok()) return c_->ErrorFor(r, what, table_);
    return Status::Ok();
  }

  std::string table_;
  std::unique_ptr<DynamoDbClient> c_;
  DynamoDbChunks chunks_;  // <table>-chunks
};

}  // namespace

Result<std::unique_ptr<StateStore>> OpenDynamoDbStateStore(std::string table, HttpClient* http,
                                                           bool create_if_missing) {
  return OpenDynamoDbStateStore(std::move(table), http, create_if_missing, DynamoDbOptions{});
}

Result<std::unique_ptr<StateStore>> OpenDynamoDbStateStore(std::string table, HttpClient* http,
                                                           bool create_if_missing,
                                                           const DynamoDbOptions& options) {
  if (table.empty()) table = kDefaultDynamoDbTable;
  if (!ValidTable(table))
    return InvalidArgument(fmt::format(
        "DynamoDB table name \"{}\" is invalid: use 3-255 characters of A-Z a-z 0-9 _ - .", table));
  TRY_ASSIGN(auto client, DynamoDbClient::Create(http, options));
  auto store = std::make_unique<DynamoDbStateStore>(table, std::move(client));
  TRY(store->Init(create_if_missing));
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace ctdl
