#include "ct/rfc6962_entries.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>

#include "base/base64.h"
#include "ct/merkle.h"

namespace ctdl {
namespace {

// Reads a certificate list ASN.1Cert<0..2^24-1> (each cert opaque<1..2^24-1>) into SHA-256s.
bool ReadChain(ByteReader* r, bool hash, std::vector<Hash256>* out, std::string* error) {
  std::string_view list;
  if (!r->ReadVector(3, &list)) {
    *error = "certificate chain length exceeds the data";
    return false;
  }
  ByteReader lr(list);
  for (size_t i = 0; !lr.empty(); ++i) {
    std::string_view cert;
    if (!lr.ReadVector(3, &cert)) {
      *error = fmt::format("chain certificate {} length exceeds the list", i);
      return false;
    }
    if (cert.empty()) {
      *error = fmt::format("chain certificate {} is empty", i);
      return false;
    }
    if (hash) out->push_back(Sha256(cert));
  }
  return true;
}

}  // namespace

void DecodeRfc6962Leaf(std::string_view leaf_input, std::string_view extra_data, LogEntry* e,
                       bool hash_chain) {
  e->leaf_hash = HashLeaf(leaf_input);
  e->has_leaf_hash = true;
  // Until the certificate is found, an undecodable leaf keeps the raw bytes we got (no copy otherwise).
  auto undecodable = [&](std::string why) {
    e->error = std::move(why);
    e->cert.assign(leaf_input);
  };
  ByteReader r(leaf_input);
  uint64_t version, leaf_type, timestamp, entry_type;
  if (!r.ReadUint(1, &version) || !r.ReadUint(1, &leaf_type)) {
    return undecodable("leaf_input is shorter than a MerkleTreeLeaf header");
  }
  if (version != 0) {
    return undecodable(fmt::format("leaf_input has unknown version {}", version));
  }
  if (leaf_type != 0) {
    return undecodable(fmt::format("leaf_input has unknown leaf type {}", leaf_type));
  }
  if (!r.ReadUint(8, &timestamp) || !r.ReadUint(2, &entry_type)) {
    return undecodable("leaf_input ends inside the TimestampedEntry header");
  }
  e->timestamp = timestamp;
  if (entry_type > 1) {
    return undecodable(fmt::format("leaf_input has unknown entry type {}", entry_type));
  }
  e->type = static_cast<EntryType>(entry_type);
  std::string_view leaf_cert, issuer_key_hash, extensions;
  if (e->type == EntryType::kX509) {
    if (!r.ReadVector(3, &leaf_cert)) {
      return undecodable("leaf_input certificate length exceeds the data");
    }
  } else {
    if (!r.ReadBytes(32, &issuer_key_hash)) {
      return undecodable("leaf_input ends inside issuer_key_hash");
    }
    if (!r.ReadVector(3, &leaf_cert)) {
      return undecodable("leaf_input TBSCertificate length exceeds the data");
    }
  }
  if (leaf_cert.empty()) {
    return undecodable("leaf_input certificate is empty");
  }
  e->cert.assign(leaf_cert);
  if (!r.ReadVector(2, &extensions)) {
    e->error = "leaf_input extensions length exceeds the data";
    return;
  }
  if (!r.empty()) {
    e->error = fmt::format("leaf_input has {} trailing bytes", r.remaining());
    return;
  }
  ByteReader x(extra_data);
  std::string error;
  if (e->type == EntryType::kPrecert) {
    std::string_view precert;
    if (!x.ReadVector(3, &precert) || precert.empty()) {
      e->error = "extra_data pre_certificate is missing or its length exceeds the data";
      return;  // cert keeps the TBS from leaf_input
    }
    e->signed_tbs.swap(e->cert);  // the leaf's TBS, no copy
    e->cert.assign(precert);
  }
  if (!ReadChain(&x, hash_chain, &e->chain_sha256, &error)) {
    e->error = "extra_data " + error;
    return;
  }
  if (!x.empty()) e->error = fmt::format("extra_data has {} trailing bytes", x.remaining());
}

void DecodeRfc6962EntryInto(std::string_view leaf_b64, std::string_view extra_b64, uint64_t index,
                            bool hash_chain, LogEntry* out) {
  LogEntry& e = *out;
  e.index = index;
  thread_local std::string leaf, extra;
  leaf.clear();
  extra.clear();
  if (!Base64DecodeAppend(leaf_b64, &leaf)) {
    auto slow = Base64Decode(leaf_b64);  // for the precise message
    e.error = "leaf_input is not valid base64: " +
              (slow.ok() ? std::string("rejected") : slow.status().message());
    e.cert.assign(leaf_b64);
    return;
  }
  bool extra_ok = Base64DecodeAppend(extra_b64, &extra);
  DecodeRfc6962Leaf(leaf, extra_ok ? std::string_view(extra) : std::string_view(), &e, hash_chain);
  if (!extra_ok && (e.error.empty() || e.error.rfind("extra_data", 0) == 0)) {
    auto slow = Base64Decode(extra_b64);
    e.error = "extra_data is not valid base64: " +
              (slow.ok() ? std::string("rejected") : slow.status().message());
  }
}

LogEntry DecodeRfc6962Entry(std::string_view leaf_b64, std::string_view extra_b64, uint64_t index,
                            bool hash_chain) {
  LogEntry e;
  DecodeRfc6962EntryInto(leaf_b64, extra_b64, index, hash_chain, &e);
  return e;
}

struct GetEntriesDecoder::Impl {
  simdjson::ondemand::parser parser;
  std::string copy;  // the reply plus padding, when the caller has none
  bool hash_chain = true;
};

GetEntriesDecoder::GetEntriesDecoder(bool hash_chain) : impl_(std::make_unique<Impl>()) {
  impl_->hash_chain = hash_chain;
}
GetEntriesDecoder::~GetEntriesDecoder() = default;

static_assert(GetEntriesDecoder::kJsonPadding >= simdjson::SIMDJSON_PADDING);

Status GetEntriesDecoder::Decode(std::string_view json, uint64_t first_index, uint64_t max_entries,
                                 std::vector<LogEntry>* out, uint64_t* surplus, size_t padding) {
  EntrySlots slots(out, out->size());
  Status s = Decode(json, first_index, max_entries, &slots, surplus, padding);
  out->resize(slots.size());
  return s;
}

namespace {

namespace od = simdjson::ondemand;

Status NotJson(simdjson::error_code err) {
  return Corrupt(fmt::format("get-entries reply is not valid JSON ({})", simdjson::error_message(err)));
}

// A string value as a view: straight into the reply when it has no escapes (base64 never needs
// any), else unescaped by simdjson into its string buffer (valid until the next parse).
// false with *err unset: the value is not a string; *err set: the JSON is broken.
bool GetStringView(od::value v, std::string_view* out, simdjson::error_code* err) {
  od::json_type t;
  if (auto e = v.type().get(t)) {
    *err = e;
    return false;
  }
  if (t != od::json_type::string) return false;
  std::string_view tok = v.raw_json_token();  // the token and the blanks after it
  while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' ||
                          tok.back() == '\t'))
    tok.remove_suffix(1);
  if (tok.size() >= 2 && tok.front() == '"' && tok.back() == '"' &&
      tok.find('\\') == std::string_view::npos) {
    *out = tok.substr(1, tok.size() - 2);
    return true;
  }
  if (auto e = v.get_string().get(*out)) {
    *err = e;
    return false;
  }
  return true;
}

}  // namespace

// simdjson On-Demand: one structural pass over the reply, then the fields are read where they lie
// (the DOM parser also copied every string, 2.3 MB of base64 per 1024 entries, into its own buffer:
// ~0.2 us per entry). The entries array, its objects and their leaf_input / extra_data strings are
// checked as strictly as before; other values are skipped without full validation (On-Demand does not
// parse what it skips: a reply with e.g. `"x":tru` beside its entries is accepted; none of it reaches
// a record, and every leaf is verified against the tree). Like the DOM lookups before, the first
// "entries", "leaf_input" and "extra_data" of an object count. On an error the entries added by this
// call are dropped (all or nothing).
Status GetEntriesDecoder::Decode(std::string_view json, uint64_t first_index, uint64_t max_entries,
                                 EntrySlots* out, uint64_t* surplus, size_t padding) {
  if (surplus) *surplus = 0;
  const size_t before = out->size();
  uint64_t extra_entries = 0;
  Status s = DecodeEntries(json, first_index, max_entries, out, &extra_entries, padding);
  if (!s.ok()) {
    out->Truncate(before);
    return s;
  }
  if (surplus) *surplus = extra_entries;
  return s;
}

Status GetEntriesDecoder::DecodeEntries(std::string_view json, uint64_t first_index,
                                        uint64_t max_entries, EntrySlots* out, uint64_t* surplus,
                                        size_t padding) {
  // In place when the caller vouches for the padding simdjson reads past the end (its contents do
  // not matter); else the reply is copied (2.4 MB per 1024 entries: 3 % of a fast download).
  const char* data = json.data();
  if (padding < kJsonPadding) {
    impl_->copy.assign(json);
    impl_->copy.append(kJsonPadding, ' ');
    data = impl_->copy.data();
  }
  od::document doc;
  if (auto err = impl_->parser.iterate(data, json.size(), json.size() + kJsonPadding).get(doc))
    return NotJson(err);
  od::object root;
  if (auto err = doc.get_object().get(root))
    return err == simdjson::INCORRECT_TYPE ? Corrupt("get-entries reply has no \"entries\" array")
                                           : NotJson(err);
  od::array entries;
  if (auto err = root["entries"].get_array().get(entries))
    return err == simdjson::INCORRECT_TYPE || err == simdjson::NO_SUCH_FIELD
               ? Corrupt("get-entries reply has no \"entries\" array")
               : NotJson(err);
  uint64_t n = 0;
  out->Reserve(std::min<uint64_t>(max_entries, json.size() / 16 + 1));
  for (auto item_or : entries) {
    od::value item;
    if (auto err = std::move(item_or).get(item)) return NotJson(err);
    if (n == max_entries) {
      ++*surplus;
      continue;
    }
    uint64_t index = first_index + n++;
    od::object obj;
    if (auto err = item.get_object().get(obj)) {
      if (err != simdjson::INCORRECT_TYPE) return NotJson(err);
      LogEntry& e = out->Add();
      e.index = index;
      e.error = "entry is not a JSON object";
      continue;
    }
    std::string_view leaf, extra;
    bool seen_leaf = false, seen_extra = false, has_leaf = false, has_extra = false;
    for (auto field_or : obj) {
      od::field f;
      if (auto err = std::move(field_or).get(f)) return NotJson(err);
      std::string_view key;
      if (auto err = f.unescaped_key().get(key)) return NotJson(err);
      simdjson::error_code err = simdjson::SUCCESS;
      if (key == "leaf_input" && !seen_leaf) {
        seen_leaf = true;
        has_leaf = GetStringView(f.value(), &leaf, &err);
      } else if (key == "extra_data" && !seen_extra) {
        seen_extra = true;
        has_extra = GetStringView(f.value(), &extra, &err);
      }
      if (err) return NotJson(err);
    }
    LogEntry& e = out->Add();
    if (!has_leaf) {
      e.index = index;
      e.error = "entry has no leaf_input string";
      continue;
    }
    DecodeRfc6962EntryInto(leaf, extra, index, impl_->hash_chain, &e);
    if (!has_extra && e.error.empty()) e.error = "entry has no extra_data string";
  }
  // The fields around the array, skipped to the object's end (catches broken structure there).
  if (auto err = root.find_field_unordered("\x01 none").error(); err != simdjson::NO_SUCH_FIELD)
    return NotJson(err);
  return Status::Ok();
}

}  // namespace ctdl
