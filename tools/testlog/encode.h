// RFC 6962 / static-ct-api encodings, written independently of src/ct so that the two can cross-check
// each other. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace testlog {

// TLS uint24-length-prefixed opaque.
void AppendVec24(std::string* out, std::string_view data);

// MerkleTreeLeaf (version v1, leaf type timestamped_entry). extensions: the CtExtensions content
// (without its uint16 length; empty by default).
// x509: cert is the ASN.1Cert. precert: issuer_key_hash + TBS (poison already removed).
std::string MerkleLeafX509(uint64_t timestamp, std::string_view cert, std::string_view extensions = {});
std::string MerkleLeafPrecert(uint64_t timestamp, const ctdl::Hash256& issuer_key_hash, std::string_view tbs,
                              std::string_view extensions = {});
// static-ct-api leaf_index extension: type 0, uint16 length 5, uint40 index.
std::string LeafIndexExtension(uint64_t index);
// extra_data: x509 → certificate_chain; precert → PrecertChainEntry.
std::string ExtraDataX509(const std::vector<std::string_view>& chain);
std::string ExtraDataPrecert(std::string_view pre_certificate, const std::vector<std::string_view>& chain);
// static-ct-api TileLeaf: the TimestampedEntry (the MerkleTreeLeaf minus its 2-byte header) followed
// by the x509 chain fingerprints, or by pre_certificate + chain fingerprints for precerts.
std::string TileLeaf(std::string_view merkle_leaf, bool precert, std::string_view pre_certificate,
                     const std::vector<ctdl::Hash256>& chain_fingerprints);

ctdl::Hash256 LeafHash(std::string_view merkle_leaf);                    // SHA-256(0x00 || leaf)
ctdl::Hash256 NodeHash(const ctdl::Hash256& l, const ctdl::Hash256& r);  // SHA-256(0x01 || l || r)

// TreeHeadSignature input (RFC 6962 3.5): version 0, tree_hash(1), timestamp, size, root.
std::string TreeHeadSignatureInput(uint64_t timestamp, uint64_t tree_size, const ctdl::Hash256& root);
// DigitallySigned with SHA-256 (4) and ECDSA (3).
std::string DigitallySigned(std::string_view signature);

// tlog-tiles index path element: 1234067 → "x001/x234/067".
std::string TilePath(uint64_t n);
// Parses the path encoding; false on malformed input.
bool ParseTilePath(std::string_view s, uint64_t* n);

}  // namespace testlog
