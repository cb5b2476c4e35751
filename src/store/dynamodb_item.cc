#include "store/dynamodb_item.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "store/dynamodb_client.h"

namespace ctdl {

std::string DdbS(std::string_view s) { return "{\"S\":" + JsonQuote(s) + "}"; }
std::string DdbN(uint64_t n) { return fmt::format("{{\"N\":\"{}\"}}", n); }
std::string DdbN(int64_t n) { return fmt::format("{{\"N\":\"{}\"}}", n); }

namespace {

// Reads attribute `name` of type S into *out (missing: untouched).
Status ReadS(simdjson::dom::object item, const char* name, std::string* out) {
  simdjson::dom::object attr;
  if (item[name].get(attr) != simdjson::SUCCESS) return Status::Ok();
  std::string_view v;
  if (attr["S"].get(v) != simdjson::SUCCESS)
    return Corrupt(fmt::format("DynamoDB attribute {} is not a string (S)", name));
  *out = std::string(v);
  return Status::Ok();
}

Status ReadDecimal(simdjson::dom::object item, const char* name, double* out) {
  simdjson::dom::object attr;
  if (item[name].get(attr) != simdjson::SUCCESS) return Status::Ok();
  std::string_view v;
  double d = 0;
  if (attr["N"].get(v) == simdjson::SUCCESS) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec == std::errc() && p == v.data() + v.size() && std::isfinite(d)) {
      *out = d;
      return Status::Ok();
    }
  }
  return Corrupt(fmt::format("DynamoDB attribute {} is not a number (N)", name));
}

// Numbers are strings in DynamoDB JSON ("N":"123"). Python's Decimal may write "123.0" or "1.23E+2";
// accept integral values in those forms too. The seed may also have stored a number as S.
template <typename T>
Status ReadN(simdjson::dom::object item, const char* name, T* out) {
  simdjson::dom::object attr;
  if (item[name].get(attr) != simdjson::SUCCESS) return Status::Ok();
  std::string_view v;
  if (attr["N"].get(v) != simdjson::SUCCESS && attr["S"].get(v) != simdjson::SUCCESS)
    return Corrupt(fmt::format("DynamoDB attribute {} is not a number (N)", name));
  T n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc() && p == v.data() + v.size()) {
    *out = n;
    return Status::Ok();
  }
  double d = 0;
  auto [p2, ec2] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec2 == std::errc() && p2 == v.data() + v.size() && d >= 0 && d < 9.0e15 &&
      d == static_cast<double>(static_cast<int64_t>(d))) {
    *out = static_cast<T>(d);
    return Status::Ok();
  }
  return Corrupt(fmt::format("DynamoDB attribute {} = \"{}\" is not a whole number", name,
                             v.substr(0, 40)));
}

}  // namespace

Result<LogState> LogStateFromItemJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(json);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS)
    return Corrupt("DynamoDB item is not valid JSON");
  simdjson::dom::object item;
  if (doc.get(item) != simdjson::SUCCESS) return Corrupt("DynamoDB item is not an object");
  LogState s;
  s.log_type.clear();
  TRY(ReadS(item, ddb::kUrl, &s.url));
  if (s.url.empty()) return Corrupt("DynamoDB item has no url");
  auto ctx = [&](Status st) { return st.Annotate("log " + s.url); };
  Status st;
  if (!(st = ReadS(item, ddb::kDescription, &s.description)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kLogType, &s.log_type)).ok()) return ctx(st);
  if (s.log_type.empty()) s.log_type = "rfc6962";
  if (!(st = ReadS(item, ddb::kSubmissionUrl, &s.submission_url)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kOperator, &s.operator_name)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kLogId, &s.log_id)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kKey, &s.key)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kListState, &s.list_state)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kSth, &s.sth)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kCompactRange, &s.compact_range)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kTreeSize, &s.tree_size)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kPosition, &s.position)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kVerifiedSize, &s.verified_size)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kUnverifiedPrefix, &s.unverified_prefix)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kMmd, &s.mmd)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kUpdatedAt, &s.updated_at)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kAdvancedAt, &s.advanced_at)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kPendingWrite, &s.pending_write)).ok()) return ctx(st);
  return s;
}

std::string ChunkItemJson(const Chunk& c, uint64_t counter, int64_t updated_at) {
  std::string j = fmt::format("{{\"url\":{},\"chunk\":{},\"size\":{},\"state\":{},\"counter\":{},"
                              "\"expires_at\":{},\"position\":{},\"rejected\":{},\"updated_at\":{}",
                              DdbS(c.url), DdbN(c.index), DdbN(c.size), DdbS(ChunkStateName(c.state)),
                              DdbN(counter), DdbN(c.expires_at), DdbN(c.position),
                              DdbN(uint64_t{c.rejected}), DdbN(updated_at));
  auto add = [&](const char* name, const std::string& v) {
    if (!v.empty()) j += fmt::format(",\"{}\":{}", name, DdbS(v));
  };
  add("owner", c.owner);
  add("compact_range", c.compact_range);
  add("subtree_hash", c.subtree_hash);
  add("note", c.note);
  return j + "}";
}

Result<Chunk> ChunkFromItemJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(json);
  simdjson::dom::object item;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get(item) != simdjson::SUCCESS)
    return Corrupt("DynamoDB chunk item is not a JSON object");
  Chunk c;
  std::string state;
  TRY(ReadS(item, "url", &c.url));
  TRY(ReadN(item, "chunk", &c.index));
  auto ctx = [&](Status st) { return st.Annotate(fmt::format("chunk {} of {}", c.index, c.url)); };
  Status st;
  for (auto [name, out] : {std::pair{"state", &state}, {"owner", &c.owner},
                           {"compact_range", &c.compact_range}, {"subtree_hash", &c.subtree_hash},
                           {"note", &c.note}})
    if (!(st = ReadS(item, name, out)).ok()) return ctx(st);
  for (auto [name, out] : {std::pair{"size", &c.size}, {"counter", &c.counter},
                           {"position", &c.position}})
    if (!(st = ReadN(item, name, out)).ok()) return ctx(st);
  if (!(st = ReadN(item, "expires_at", &c.expires_at)).ok()) return ctx(st);
  if (!(st = ReadN(item, "rejected", &c.rejected)).ok()) return ctx(st);
  if (!(st = ReadN(item, "updated_at", &c.updated_at)).ok()) return ctx(st);
  if (c.url.empty() || !ParseChunkState(state, &c.state))
    return ctx(Corrupt("DynamoDB chunk item has no url or an unknown state '" + state + "'"));
  return c;
}

std::string DdbDecimal(double d) { return fmt::format("{{\"N\":\"{:.6g}\"}}", std::isfinite(d) ? d : 0.0); }

bool IsHostRateItemKey(std::string_view url) { return url.starts_with(ddb::kHostRatePrefix); }

bool IsHostRateItem(std::string_view item_json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(item_json);
  simdjson::dom::element doc;
  std::string_view url;
  return parser.parse(padded).get(doc) == simdjson::SUCCESS &&
         doc["url"]["S"].get(url) == simdjson::SUCCESS && IsHostRateItemKey(url);
}

Result<HostRate> HostRateFromItemJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(json);
  simdjson::dom::object item;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get(item) != simdjson::SUCCESS)
    return Corrupt("DynamoDB host rate item is not a JSON object");
  HostRate r;
  std::string url;
  TRY(ReadS(item, ddb::kUrl, &url));
  if (!IsHostRateItemKey(url)) return Corrupt("DynamoDB item " + url + " is not a host rate");
  r.host = url.substr(sizeof(ddb::kHostRatePrefix) - 1);
  auto ctx = [&](Status st) { return st.Annotate("host rate " + r.host); };
  int64_t retry_after = 1;
  Status st;
  if (!(st = ReadDecimal(item, ddb::kRps, &r.rps)).ok()) return ctx(st);
  if (!(st = ReadDecimal(item, ddb::kBurst, &r.burst)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kRetryAfter, &retry_after)).ok()) return ctx(st);
  if (!(st = ReadS(item, ddb::kOperator, &r.operator_name)).ok()) return ctx(st);
  if (!(st = ReadN(item, ddb::kUpdatedAt, &r.updated_at)).ok()) return ctx(st);
  if (r.rps <= 0) return Corrupt("DynamoDB host rate item of " + r.host + " has no rps");
  r.retry_after = retry_after != 0;
  return r;
}

Result<Lease> LeaseFromItemJson(std::string_view json, bool* is_lease_only) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(json);
  simdjson::dom::object item;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc.get(item) != simdjson::SUCCESS)
    return Corrupt("DynamoDB item is not a JSON object");
  Lease l;
  std::string kind;
  TRY(ReadS(item, ddb::kUrl, &l.key));
  TRY(ReadS(item, ddb::kLeaseOwner, &l.owner));
  TRY(ReadN(item, ddb::kLeaseCounter, &l.counter));
  TRY(ReadN(item, ddb::kLeaseExpires, &l.expires_ms));
  TRY(ReadS(item, ddb::kItemKind, &kind));
  if (is_lease_only) *is_lease_only = kind == ddb::kLeaseKind;
  return l;
}

}  // namespace ctdl
