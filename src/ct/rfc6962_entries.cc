#include "ct/rfc6962_entries.h"

#include <fmt/format.h>
#include <simdjson.h>

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
  simdjson::dom::parser parser;
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

Status GetEntriesDecoder::Decode(std::string_view json, uint64_t first_index, uint64_t max_entries,
                                 EntrySlots* out, uint64_t* surplus, size_t padding) {
  if (surplus) *surplus = 0;
  simdjson::dom::element doc;
  // In place when the caller vouches for the padding simdjson reads past the end (its contents do
  // not matter); else simdjson copies the reply (2.4 MB per 1024 entries: 3 % of a fast download).
  const bool copy = padding < kJsonPadding;
  if (auto err = impl_->parser.parse(json.data(), json.size(), copy).get(doc))
    return Corrupt(fmt::format("get-entries reply is not valid JSON ({})",
                               simdjson::error_message(err)));
  simdjson::dom::array entries;
  if (doc["entries"].get_array().get(entries))
    return Corrupt("get-entries reply has no \"entries\" array");
  uint64_t n = 0;
  out->Reserve(std::min<uint64_t>(entries.size(), max_entries));
  for (simdjson::dom::element item : entries) {
    if (n == max_entries) {
      if (surplus) ++*surplus;
      continue;
    }
    uint64_t index = first_index + n++;
    std::string_view leaf, extra;
    simdjson::dom::object obj;
    if (item.get_object().get(obj)) {
      LogEntry& e = out->Add();
      e.index = index;
      e.error = "entry is not a JSON object";
      continue;
    }
    if (obj["leaf_input"].get_string().get(leaf)) {
      LogEntry& e = out->Add();
      e.index = index;
      e.error = "entry has no leaf_input string";
      continue;
    }
    bool has_extra = !obj["extra_data"].get_string().get(extra);
    LogEntry& e = out->Add();
    DecodeRfc6962EntryInto(leaf, extra, index, impl_->hash_chain, &e);
    if (!has_extra && e.error.empty()) e.error = "entry has no extra_data string";
  }
  return Status::Ok();
}

}  // namespace ctdl
