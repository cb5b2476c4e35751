// A built log directory opened for serving: memory-mapped entry fragments, tile leaves and subtree
// hashes, plus Merkle computations over them (roots, consistency proofs, tile hashes).
// Read-only after Open; all const methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "keys.h"

namespace testlog {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ctdl::Status Open(const std::string& path);
  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

class LogData {
 public:
  ctdl::Status Open(const std::string& dir);

  uint64_t size() const { return n_; }
  // The JSON fragments of entries [start, end) joined by ',' (a view into the mapped file).
  std::string_view EntriesJson(uint64_t start, uint64_t end) const;
  std::string_view EntryJson(uint64_t i) const { return EntriesJson(i, i + 1); }
  // Concatenated TileLeaf encodings of entries [start, end).
  std::string_view TileLeaves(uint64_t start, uint64_t end) const;

  // Forking: trees larger than fork_after are computed with leaf 0 replaced, so they are not
  // extensions of any smaller tree (and do not match the served entries). 0 = no fork.
  void SetFork(uint64_t fork_after);
  // Hash of the complete subtree at `level` with index `idx` in the tree of size `tree_size`.
  ctdl::Hash256 Node(int level, uint64_t idx, uint64_t tree_size) const;
  ctdl::Hash256 Root(uint64_t tree_size) const;
  // RFC 6962 2.1.2 consistency proof between sizes m <= n (empty when m == 0 or m == n).
  std::vector<ctdl::Hash256> Consistency(uint64_t m, uint64_t n) const;

  EVP_PKEY* key() const { return key_.get(); }
  const std::string& spki() const { return spki_; }
  // Issuer certificates (DER) and their SHA-256 hex names.
  const std::vector<std::pair<std::string, std::string>>& issuers() const { return issuers_; }
  const std::string& dir() const { return dir_; }

 private:
  ctdl::Hash256 Mth(uint64_t lo, uint64_t hi, uint64_t tree_size) const;
  void Proof(uint64_t m, uint64_t lo, uint64_t hi, bool complete, uint64_t tree_size,
             std::vector<ctdl::Hash256>* out) const;

  std::string dir_;
  uint64_t n_ = 0;
  MappedFile entries_, entries_idx_, tiles_, tiles_idx_, hashes_;
  const uint64_t* eoff_ = nullptr;
  const uint64_t* toff_ = nullptr;
  const ctdl::Hash256* hash_ = nullptr;
  std::vector<uint64_t> level_start_;  // index into hash_ of each level's first hash
  uint64_t fork_after_ = 0;
  std::vector<ctdl::Hash256> fork_path_;  // fork_path_[l]: altered node at level l
  Pkey key_;
  std::string spki_;
  std::vector<std::pair<std::string, std::string>> issuers_;
};

}  // namespace testlog
