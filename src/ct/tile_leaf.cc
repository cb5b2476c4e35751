#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init & co: hash the 3-byte prefix and the entry in place
#include "ct/tile_leaf.h"

#include <openssl/sha.h>

#include <cstring>

#include "ct/tile_path.h"

namespace ctdl {
namespace {

constexpr uint8_t kLeafIndexExtension = 0;
constexpr size_t kMaxUint24 = (1u << 24) - 1;
constexpr size_t kMaxUint16 = (1u << 16) - 1;

Status Truncated(const char* what) { return Corrupt(std::string("tile leaf truncated in ") + what); }

}  // namespace

Result<std::optional<uint64_t>> ParseLeafIndexExtension(std::string_view extensions) {
  ByteReader r(extensions);
  std::optional<uint64_t> leaf_index;
  while (!r.empty()) {
    uint64_t type;
    std::string_view data;
    if (!r.ReadUint(1, &type) || !r.ReadVector(2, &data))
      return Corrupt("malformed CtExtensions in tile leaf");
    if (type != kLeafIndexExtension) continue;
    if (leaf_index) return Corrupt("duplicate leaf_index extension in tile leaf");
    if (data.size() != 5) return Corrupt("leaf_index extension is not 5 bytes");
    ByteReader d(data);
    uint64_t v;
    if (!d.ReadUint(5, &v)) return Corrupt("leaf_index extension is not 5 bytes");
    leaf_index = v;
  }
  return leaf_index;
}

Status ReadTileLeaf(std::string_view* rest, TileLeafView* out) {
  ByteReader reader(*rest);
  ByteReader* r = &reader;
  uint64_t type;
  if (!r->ReadUint(8, &out->timestamp)) return Truncated("timestamp");
  if (!r->ReadUint(2, &type)) return Truncated("entry_type");
  if (type == 0) {
    out->type = EntryType::kX509;
    out->issuer_key_hash = {};
    if (!r->ReadVector(3, &out->certificate)) return Truncated("certificate");
  } else if (type == 1) {
    out->type = EntryType::kPrecert;
    if (!r->ReadBytes(32, &out->issuer_key_hash)) return Truncated("issuer_key_hash");
    if (!r->ReadVector(3, &out->certificate)) return Truncated("tbs_certificate");
  } else {
    return Corrupt("tile leaf has unknown entry_type " + std::to_string(type));
  }
  if (out->certificate.empty()) return Corrupt("tile leaf has an empty certificate");
  if (!r->ReadVector(2, &out->extensions)) return Truncated("extensions");
  out->timestamped_entry = rest->substr(0, r->position());  // the TimestampedEntry ends here
  if (out->type == EntryType::kPrecert) {
    if (!r->ReadVector(3, &out->pre_certificate)) return Truncated("pre_certificate");
    if (out->pre_certificate.empty()) return Corrupt("tile leaf has an empty pre_certificate");
  } else {
    out->pre_certificate = {};
  }
  if (!r->ReadVector(2, &out->fingerprints)) return Truncated("certificate_chain");
  if (out->fingerprints.size() % 32 != 0)
    return Corrupt("tile leaf chain fingerprints are not 32-byte hashes");
  TRY_ASSIGN(out->leaf_index, ParseLeafIndexExtension(out->extensions));
  rest->remove_prefix(r->position());
  return Status::Ok();
}

Hash256 TileLeafHash(const TileLeafView& view) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  const unsigned char prefix[3] = {0x00 /*leaf hash prefix*/, 0x00 /*version v1*/,
                                   0x00 /*timestamped_entry*/};
  SHA256_Update(&ctx, prefix, sizeof prefix);
  SHA256_Update(&ctx, view.timestamped_entry.data(), view.timestamped_entry.size());
  Hash256 h;
  SHA256_Final(h.data(), &ctx);
  return h;
}

void TileLeafToLogEntry(const TileLeafView& view, uint64_t index, LogEntry* entry) {
  entry->index = index;
  entry->timestamp = view.timestamp;
  entry->type = view.type;
  std::string_view der = view.type == EntryType::kPrecert ? view.pre_certificate : view.certificate;
  entry->cert.assign(der.data(), der.size());
  if (view.type == EntryType::kPrecert) entry->signed_tbs.assign(view.certificate);
  else entry->signed_tbs.clear();
  const size_t n = view.chain_length();
  entry->chain_sha256.resize(n);
  for (size_t i = 0; i < n; ++i)
    std::memcpy(entry->chain_sha256[i].data(), view.fingerprints.data() + 32 * i, 32);
  entry->leaf_hash = TileLeafHash(view);
  entry->has_leaf_hash = true;
  entry->error.clear();
}

Status DecodeDataTile(std::string_view body, const DataTileSpec& spec, std::vector<LogEntry>* out,
                      size_t max_size) {
  EntrySlots slots(out, out->size());
  Status s = DecodeDataTile(body, spec, &slots, max_size);
  out->resize(slots.size());
  return s;
}

Status DecodeDataTile(std::string_view body, const DataTileSpec& spec, EntrySlots* out,
                      size_t max_size) {
  if (spec.width < 1 || spec.width > 256 || spec.begin > spec.end || spec.end > spec.width)
    return InvalidArgument("impossible data tile spec");
  if (spec.tile > (UINT64_MAX >> 8)) return InvalidArgument("data tile number out of range");
  std::string scratch;
  TRY_ASSIGN(std::string_view bytes, TileBytes(body, &scratch, max_size));
  const uint64_t first = spec.tile * 256;
  const size_t old_size = out->size();
  out->Reserve(spec.end - spec.begin);
  std::string_view rest = bytes;
  TileLeafView view;
  for (uint16_t i = 0; i < spec.width; ++i) {
    Status s =
        rest.empty()
            ? Corrupt("tile has " + std::to_string(i) + " entries, expected " + std::to_string(spec.width))
            : ReadTileLeaf(&rest, &view);
    if (s.ok() && view.leaf_index && *view.leaf_index != first + i) {
      s = Corrupt("leaf_index " + std::to_string(*view.leaf_index) + " where " + std::to_string(first + i) +
                  " was expected");
    }
    if (!s.ok()) {
      out->Truncate(old_size);
      return s.Annotate(DataTilePath(spec.tile, spec.width) + " entry " + std::to_string(i));
    }
    if (i >= spec.begin && i < spec.end) TileLeafToLogEntry(view, first + i, &out->Add());
  }
  if (!rest.empty()) {
    out->Truncate(old_size);
    return Corrupt(DataTilePath(spec.tile, spec.width) + ": " + std::to_string(rest.size()) +
                   " bytes after the last of " + std::to_string(spec.width) + " entries");
  }
  return Status::Ok();
}

Status AppendTileLeaf(const TileLeafView& v, std::string* out) {
  if (v.certificate.empty() || v.certificate.size() > kMaxUint24)
    return InvalidArgument("tile leaf certificate must be 1..2^24-1 bytes");
  if (v.extensions.size() > kMaxUint16) return InvalidArgument("tile leaf extensions exceed 2^16-1 bytes");
  if (v.fingerprints.size() > kMaxUint16 || v.fingerprints.size() % 32)
    return InvalidArgument("tile leaf fingerprints must be 32-byte hashes, at most 2^16-1 bytes");
  const bool precert = v.type == EntryType::kPrecert;
  if (precert && v.issuer_key_hash.size() != 32) return InvalidArgument("issuer_key_hash must be 32 bytes");
  if (precert && (v.pre_certificate.empty() || v.pre_certificate.size() > kMaxUint24))
    return InvalidArgument("pre_certificate must be 1..2^24-1 bytes");
  AppendUint(out, 8, v.timestamp);
  AppendUint(out, 2, precert ? 1 : 0);
  if (precert) out->append(v.issuer_key_hash);
  AppendUint(out, 3, v.certificate.size());
  out->append(v.certificate);
  AppendUint(out, 2, v.extensions.size());
  out->append(v.extensions);
  if (precert) {
    AppendUint(out, 3, v.pre_certificate.size());
    out->append(v.pre_certificate);
  }
  AppendUint(out, 2, v.fingerprints.size());
  out->append(v.fingerprints);
  return Status::Ok();
}

std::string LeafIndexExtension(uint64_t index) {
  std::string out;
  AppendUint(&out, 1, kLeafIndexExtension);
  AppendUint(&out, 2, 5);
  AppendUint(&out, 5, index & ((uint64_t{1} << 40) - 1));
  return out;
}

}  // namespace ctdl
