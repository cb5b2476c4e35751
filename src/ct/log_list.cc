#include "ct/log_list.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <set>

#include "ct/log_url.h"

namespace ctdl {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// "https://ct.example/log" -> "https://ct.example/log/".
std::string WithSlash(std::string_view url) {
  std::string s(url);
  if (!s.empty() && s.back() != '/') s.push_back('/');
  return s;
}

// A name for error messages: the description, else the url, else "#i of operator X".
std::string NameFor(object& log, std::string_view operator_name, size_t index, bool tiled) {
  std::string_view s;
  if (!log["description"].get_string().get(s) && !s.empty()) return fmt::format("log \"{}\"", s);
  if (!log[tiled ? "monitoring_url" : "url"].get_string().get(s) && !s.empty())
    return fmt::format("log {}", s);
  return fmt::format("{} #{} of operator \"{}\"", tiled ? "tiled log" : "log", index + 1, operator_name);
}

Status RequiredString(object& log, const char* field, const std::string& name, std::string* out) {
  std::string_view v;
  auto err = log[field].get_string().get(v);
  if (err == simdjson::NO_SUCH_FIELD) return Corrupt(fmt::format("log list: {} has no \"{}\"", name, field));
  if (err) return Corrupt(fmt::format("log list: {} has a \"{}\" that is not a string", name, field));
  if (v.empty()) return Corrupt(fmt::format("log list: {} has an empty \"{}\"", name, field));
  *out = std::string(v);
  return Status::Ok();
}

Status OptionalString(object& log, const char* field, const std::string& name, std::string* out) {
  std::string_view v;
  auto err = log[field].get_string().get(v);
  if (err == simdjson::NO_SUCH_FIELD) return Status::Ok();
  if (err) return Corrupt(fmt::format("log list: {} has a \"{}\" that is not a string", name, field));
  *out = std::string(v);
  return Status::Ok();
}

// The fields that decide whether a log is kept: state and log_type.
Status ParseStateAndType(object& log, const std::string& name, ListedLog* out) {
  TRY(OptionalString(log, "log_type", name, &out->list_log_type));
  element state;
  if (!log["state"].get(state)) {
    object st;
    if (state.get_object().get(st))
      return Corrupt(fmt::format("log list: {} has a \"state\" that is not an object", name));
    size_t n = 0;
    for (auto field : st) {
      out->state = std::string(field.key);
      ++n;
    }
    if (n > 1) return Corrupt(fmt::format("log list: {} has a \"state\" with {} keys, want one", name, n));
  }
  return Status::Ok();
}

Status ParseLog(object& log, bool tiled, const std::string& name, ListedLog* out) {
  out->log_type = tiled ? "tiled" : "rfc6962";
  TRY(RequiredString(log, tiled ? "monitoring_url" : "url", name, &out->url));
  out->url = WithSlash(out->url);
  if (tiled) {
    TRY(RequiredString(log, "submission_url", name, &out->submission_url));
    out->submission_url = WithSlash(out->submission_url);
  }
  TRY(RequiredString(log, "log_id", name, &out->log_id));
  TRY(RequiredString(log, "key", name, &out->key));
  TRY(OptionalString(log, "description", name, &out->description));
  int64_t mmd = 0;
  auto err = log["mmd"].get_int64().get(mmd);
  if (err == simdjson::NO_SUCH_FIELD) return Corrupt(fmt::format("log list: {} has no \"mmd\"", name));
  if (err || mmd < 0)
    return Corrupt(fmt::format("log list: {} has an \"mmd\" that is not a non-negative integer", name));
  out->mmd = mmd;
  return Status::Ok();
}

// The url (and submission_url) in canonical form (ct/log_url.h); a metadata address is warned about.
Status Canonicalize(ListedLog* l, std::vector<std::string>* warnings) {
  // A tiled log's monitoring_url may be a local folder (file:///...); submission URLs are real.
  TRY_ASSIGN(l->url, l->log_type == "tiled" ? CanonicalTiledLogUrl(l->url) : CanonicalLogUrl(l->url));
  if (!l->submission_url.empty()) {
    TRY_ASSIGN(l->submission_url, CanonicalLogUrl(l->submission_url));
  }
  if (std::string w = MetadataHostWarning(l->url); !w.empty()) warnings->push_back(w);
  return Status::Ok();
}

Result<LogList> ParseLogListImpl(std::string_view json, const LogListOptions& options) {
  simdjson::dom::parser parser;
  element doc;
  simdjson::padded_string padded(json);
  if (auto err = parser.parse(padded).get(doc))
    return Corrupt(fmt::format("log list is not valid JSON ({})", simdjson::error_message(err)));
  object root;
  if (doc.get_object().get(root)) return Corrupt("log list is not a JSON object");
  LogList list;
  std::string_view version;
  if (!root["version"].get_string().get(version)) list.version = std::string(version);
  simdjson::dom::array operators;
  auto err = root["operators"].get_array().get(operators);
  if (err == simdjson::NO_SUCH_FIELD)
    return Corrupt("log list has no \"operators\" array (is it a v3 log list?)");
  if (err) return Corrupt("log list \"operators\" is not an array");

  std::set<std::string> seen;
  size_t op_index = 0;
  for (element op_el : operators) {
    object op;
    if (op_el.get_object().get(op))
      return Corrupt(fmt::format("log list: operator #{} is not an object", op_index + 1));
    std::string_view op_name_view;
    std::string op_name = fmt::format("#{}", op_index + 1);
    if (!op["name"].get_string().get(op_name_view)) op_name = std::string(op_name_view);
    ++op_index;
    for (bool tiled : {false, true}) {
      const char* key = tiled ? "tiled_logs" : "logs";
      simdjson::dom::array logs;
      auto e = op[key].get_array().get(logs);
      if (e == simdjson::NO_SUCH_FIELD) continue;
      if (e)
        return Corrupt(
            fmt::format("log list: operator \"{}\" has \"{}\" that is not an array", op_name, key));
      size_t i = 0;
      for (element log_el : logs) {
        object log;
        if (log_el.get_object().get(log))
          return Corrupt(
              fmt::format("log list: {} #{} of operator \"{}\" is not an object", key, i + 1, op_name));
        std::string name = NameFor(log, op_name, i, tiled);
        ++i;
        ListedLog l;
        l.operator_name = op_name;
        TRY(ParseStateAndType(log, name, &l));
        if (l.state == "rejected") {
          ++list.skipped_rejected;
          continue;
        }
        if (l.list_log_type == "test" && !options.include_test) {
          ++list.skipped_test;
          continue;
        }
        TRY(ParseLog(log, tiled, name, &l));
        if (Status u = Canonicalize(&l, &list.warnings); !u.ok()) {
          list.warnings.push_back(fmt::format("skipping {}: {}", PrintableUrl(name), u.message()));
          continue;
        }
        if (!seen.insert(l.url).second) {
          list.warnings.push_back(fmt::format("{} is listed twice; keeping its first entry", l.url));
          continue;
        }
        list.logs.push_back(std::move(l));
      }
    }
  }
  return list;
}

}  // namespace

// simdjson reports errors as values here; the catch is a backstop (e.g. bad_alloc on huge input).
Result<LogList> ParseLogList(std::string_view json, const LogListOptions& options) {
  try {
    return ParseLogListImpl(json, options);
  } catch (const std::exception& e) {
    return Corrupt(std::string("log list could not be parsed: ") + e.what());
  }
}

}  // namespace ctdl
