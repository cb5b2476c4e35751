#include "ct/proof.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>

namespace ctdl {
namespace {

std::string Sizes(uint64_t a, uint64_t b) { return std::to_string(a) + " -> " + std::to_string(b); }

// RFC 9162 2.1.3.2. On success *root_out is the root the proof leads to and *left (if given) holds the
// left siblings, lowest first (they are the perfect subtrees that make up [0, index)).
Status WalkInclusion(uint64_t index, uint64_t size, const Hash256& leaf_hash, std::span<const Hash256> proof,
                     Hash256* root_out, std::vector<Hash256>* left) {
  if (index >= size) {
    return VerifyFailed("inclusion proof: leaf index " + std::to_string(index) + " is not below tree size " +
                        std::to_string(size));
  }
  uint64_t fn = index, sn = size - 1;
  Hash256 r = leaf_hash;
  for (const Hash256& p : proof) {
    if (sn == 0) {
      return VerifyFailed("inclusion proof for leaf " + std::to_string(index) + " in tree size " +
                          std::to_string(size) + " is too long (" + std::to_string(proof.size()) +
                          " hashes)");
    }
    if ((fn & 1) || fn == sn) {
      r = HashChildren(p, r);
      if (left) left->push_back(p);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return VerifyFailed("inclusion proof for leaf " + std::to_string(index) + " in tree size " +
                        std::to_string(size) + " is too short (" + std::to_string(proof.size()) + " hashes)");
  }
  *root_out = r;
  return Status::Ok();
}

// RFC 9162 2.1.4.2 steps 3-8 for 0 < size1 < size2, with the proof already holding its first node
// (root1 prepended by the caller when size1 is a power of two). Outputs the two computed roots and
// (if given) the nodes hashed into the first root, lowest first, excluding path[0].
Status WalkConsistency(uint64_t size1, uint64_t size2, std::span<const Hash256> path, Hash256* fr_out,
                       Hash256* sr_out, std::vector<Hash256>* left) {
  if (path.empty()) {
    return VerifyFailed("consistency proof " + Sizes(size1, size2) + " is empty");
  }
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash256 fr = path[0], sr = path[0];
  for (const Hash256& c : path.subspan(1)) {
    if (sn == 0) {
      return VerifyFailed("consistency proof " + Sizes(size1, size2) + " is too long (" +
                          std::to_string(path.size()) + " hashes)");
    }
    if ((fn & 1) || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if (left) left->push_back(c);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return VerifyFailed("consistency proof " + Sizes(size1, size2) + " is too short (" +
                        std::to_string(path.size()) + " hashes)");
  }
  *fr_out = fr;
  *sr_out = sr;
  return Status::Ok();
}

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

std::string RootToString(const Hash256& root) { return Base64Encode(AsView(root)); }

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash256& leaf_hash,
                       std::span<const Hash256> proof, const Hash256& root) {
  Hash256 computed;
  TRY(WalkInclusion(index, size, leaf_hash, proof, &computed, nullptr));
  if (computed != root) {
    return VerifyFailed("inclusion proof for leaf " + std::to_string(index) + " leads to root " +
                        RootToString(computed) + ", but the root of tree size " + std::to_string(size) +
                        " is " + RootToString(root));
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash256& root1, const Hash256& root2,
                         std::span<const Hash256> proof) {
  if (size1 > size2) {
    return VerifyFailed("tree size went backwards: " + Sizes(size1, size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return VerifyFailed("consistency proof between equal tree sizes " + std::to_string(size1) +
                          " must be empty");
    }
    if (root1 != root2) {
      return VerifyFailed("two different roots for tree size " + std::to_string(size1) + ": " +
                          RootToString(root1) + " and " + RootToString(root2) + " (a forked log)");
    }
    return Status::Ok();
  }
  if (size1 == 0) {
    if (!proof.empty()) return VerifyFailed("consistency proof from tree size 0 must be empty");
    return Status::Ok();
  }
  std::vector<Hash256> path;
  path.reserve(proof.size() + 1);
  if (IsPowerOfTwo(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  Hash256 fr, sr;
  TRY(WalkConsistency(size1, size2, path, &fr, &sr, nullptr));
  if (fr != root1) {
    return VerifyFailed("consistency proof " + Sizes(size1, size2) + " gives root " + RootToString(fr) +
                        " for tree size " + std::to_string(size1) + ", but its signed root is " +
                        RootToString(root1));
  }
  if (sr != root2) {
    return VerifyFailed("consistency proof " + Sizes(size1, size2) + " gives root " + RootToString(sr) +
                        " for tree size " + std::to_string(size2) + ", but its signed root is " +
                        RootToString(root2));
  }
  return Status::Ok();
}

Result<CompactRange> CompactRangeFromInclusionProof(uint64_t index, uint64_t size, const Hash256& leaf_hash,
                                                    std::span<const Hash256> proof, const Hash256& root) {
  TRY(VerifyInclusion(index, size, leaf_hash, proof, root));
  std::vector<Hash256> left;
  Hash256 computed;
  TRY(WalkInclusion(index, size, leaf_hash, proof, &computed, &left));
  std::reverse(left.begin(), left.end());
  auto range = CompactRange::FromHashes(index, std::move(left));
  if (!range.ok()) {  // cannot happen for a proof that verified; never trust that blindly
    return VerifyFailed("inclusion proof for leaf " + std::to_string(index) +
                        " does not yield a compact range");
  }
  return range;
}

Result<CompactRange> CompactRangeFromConsistencyProof(uint64_t size1, uint64_t size2, const Hash256& root2,
                                                      std::span<const Hash256> proof) {
  if (size1 == 0 || size1 >= size2) {
    return InvalidArgument("compact range from a consistency proof needs 0 < size1 < size2, got " +
                           Sizes(size1, size2));
  }
  if (IsPowerOfTwo(size1)) {
    return InvalidArgument("tree size " + std::to_string(size1) +
                           " is a power of two: a consistency proof does not contain its root");
  }
  Hash256 fr, sr;
  std::vector<Hash256> left;
  TRY(WalkConsistency(size1, size2, proof, &fr, &sr, &left));
  if (sr != root2) {
    return VerifyFailed("consistency proof " + Sizes(size1, size2) + " gives root " + RootToString(sr) +
                        " for tree size " + std::to_string(size2) + ", but its signed root is " +
                        RootToString(root2));
  }
  std::reverse(left.begin(), left.end());
  left.push_back(proof[0]);
  auto range = CompactRange::FromHashes(size1, std::move(left));
  if (!range.ok() || range->Root() != fr) {
    return VerifyFailed("consistency proof " + Sizes(size1, size2) +
                        " does not yield a compact range for tree size " + std::to_string(size1));
  }
  return range;
}

// ---- JSON bodies of the RFC 6962 proof endpoints ----

namespace {

Result<Hash256> DecodeHash(std::string_view b64, std::string_view what) {
  auto raw = Base64Decode(b64);
  if (!raw.ok() || raw->size() != 32) {
    return Corrupt(std::string(what) + ": not a base64 SHA-256 hash");
  }
  Hash256 h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

Result<std::vector<Hash256>> HashArray(simdjson::dom::element obj, const char* key, std::string_view what) {
  simdjson::dom::array arr;
  if (obj[key].get_array().get(arr)) {
    return Corrupt(std::string(what) + ": missing array \"" + key + "\"");
  }
  std::vector<Hash256> out;
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s)) return Corrupt(std::string(what) + ": non-string in \"" + key + "\"");
    TRY_ASSIGN(Hash256 h, DecodeHash(s, what));
    out.push_back(h);
  }
  return out;
}

Result<std::string> Base64Field(simdjson::dom::element obj, const char* key, std::string_view what) {
  std::string_view s;
  if (obj[key].get_string().get(s)) {
    return Corrupt(std::string(what) + ": missing string \"" + key + "\"");
  }
  auto raw = Base64Decode(s);
  if (!raw.ok()) return Corrupt(std::string(what) + ": \"" + key + "\" is not base64");
  return raw;
}

Result<simdjson::dom::element> ParseObject(simdjson::dom::parser& parser, std::string_view json,
                                           std::string_view what) {
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) || !doc.is_object()) {
    return Corrupt(std::string(what) + ": not a JSON object");
  }
  return doc;
}

}  // namespace

Result<std::vector<Hash256>> ParseGetSthConsistency(std::string_view json) {
  simdjson::dom::parser parser;
  TRY_ASSIGN(auto doc, ParseObject(parser, json, "get-sth-consistency"));
  return HashArray(doc, "consistency", "get-sth-consistency");
}

Result<AuditProof> ParseGetProofByHash(std::string_view json) {
  simdjson::dom::parser parser;
  TRY_ASSIGN(auto doc, ParseObject(parser, json, "get-proof-by-hash"));
  AuditProof out;
  if (doc["leaf_index"].get_uint64().get(out.leaf_index)) {
    return Corrupt("get-proof-by-hash: missing or bad \"leaf_index\"");
  }
  TRY_ASSIGN(out.audit_path, HashArray(doc, "audit_path", "get-proof-by-hash"));
  return out;
}

Result<AuditProof> ParseGetEntryAndProof(std::string_view json) {
  simdjson::dom::parser parser;
  TRY_ASSIGN(auto doc, ParseObject(parser, json, "get-entry-and-proof"));
  AuditProof out;
  TRY_ASSIGN(out.leaf_input, Base64Field(doc, "leaf_input", "get-entry-and-proof"));
  TRY_ASSIGN(out.extra_data, Base64Field(doc, "extra_data", "get-entry-and-proof"));
  TRY_ASSIGN(out.audit_path, HashArray(doc, "audit_path", "get-entry-and-proof"));
  return out;
}

}  // namespace ctdl
