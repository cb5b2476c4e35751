#include "logdata.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "encode.h"

namespace testlog {

constexpr uint64_t kForkLeaf = 0;  // the leaf a fork replaces

using ctdl::Hash256;
using ctdl::Status;

MappedFile::~MappedFile() {
  if (data_ && size_) munmap(data_, size_);
}

Status MappedFile::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return ctdl::IoError("cannot open " + path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return ctdl::IoError("cannot stat " + path);
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    data_ = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
      size_ = 0;
      close(fd);
      return ctdl::IoError("cannot map " + path);
    }
  }
  close(fd);
  return Status::Ok();
}

Status LogData::Open(const std::string& dir) {
  dir_ = dir;
  TRY(entries_.Open(dir + "/entries.json"));
  TRY(entries_idx_.Open(dir + "/entries.idx"));
  TRY(tiles_.Open(dir + "/tileleaves.bin"));
  TRY(tiles_idx_.Open(dir + "/tileleaves.idx"));
  TRY(hashes_.Open(dir + "/hashes.bin"));
  if (entries_idx_.view().size() % 8 != 0 || entries_idx_.view().size() < 8 ||
      tiles_idx_.view().size() != entries_idx_.view().size()) {
    return ctdl::Corrupt("index files in " + dir + " have inconsistent sizes");
  }
  n_ = entries_idx_.view().size() / 8 - 1;
  eoff_ = reinterpret_cast<const uint64_t*>(entries_idx_.view().data());
  toff_ = reinterpret_cast<const uint64_t*>(tiles_idx_.view().data());
  hash_ = reinterpret_cast<const Hash256*>(hashes_.view().data());
  if (eoff_[n_] != entries_.view().size() || toff_[n_] != tiles_.view().size())
    return ctdl::Corrupt("data files in " + dir + " do not match their indexes");
  uint64_t total = 0;
  for (uint64_t c = n_; c >= 1; c /= 2) {
    level_start_.push_back(total);
    total += c;
  }
  if (total * 32 != hashes_.view().size()) return ctdl::Corrupt("hashes.bin has the wrong size");
  TRY_ASSIGN(std::string pem, ReadFile(dir + "/log_key.pem"));
  TRY_ASSIGN(key_, LoadPrivateKeyPem(pem));
  spki_ = SpkiDer(key_.get());
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir + "/issuers", ec)) {
    TRY_ASSIGN(std::string der, ReadFile(e.path().string()));
    issuers_.emplace_back(e.path().filename().string(), std::move(der));
  }
  std::sort(issuers_.begin(), issuers_.end());
  return Status::Ok();
}

std::string_view LogData::EntriesJson(uint64_t start, uint64_t end) const {
  if (start >= end || end > n_) return {};
  // Each fragment ends with ','; drop the last one.
  return entries_.view().substr(eoff_[start], eoff_[end] - eoff_[start] - 1);
}

std::string_view LogData::TileLeaves(uint64_t start, uint64_t end) const {
  if (start >= end || end > n_) return {};
  return tiles_.view().substr(toff_[start], toff_[end] - toff_[start]);
}

void LogData::SetFork(uint64_t fork_after) {
  fork_after_ = 0;
  fork_path_.clear();
  if (fork_after == 0 || fork_after >= n_) return;
  const uint64_t leaf = kForkLeaf;
  std::string tweak(reinterpret_cast<const char*>(hash_[leaf].data()), 32);
  tweak += "fork";
  fork_path_.push_back(ctdl::Sha256(tweak));
  for (size_t l = 1; l < level_start_.size(); ++l) {
    uint64_t idx = leaf >> l;
    if (((idx + 1) << l) > n_) break;
    uint64_t child = leaf >> (l - 1);
    const Hash256& sib = hash_[level_start_[l - 1] + (child ^ 1)];
    fork_path_.push_back((child & 1) ? NodeHash(sib, fork_path_.back()) : NodeHash(fork_path_.back(), sib));
  }
  fork_after_ = fork_after;
}

Hash256 LogData::Node(int level, uint64_t idx, uint64_t tree_size) const {
  if (fork_after_ && tree_size > fork_after_ && static_cast<size_t>(level) < fork_path_.size() &&
      (kForkLeaf >> level) == idx) {
    return fork_path_[level];
  }
  return hash_[level_start_[level] + idx];
}

Hash256 LogData::Mth(uint64_t lo, uint64_t hi, uint64_t tree_size) const {
  uint64_t n = hi - lo;
  if ((n & (n - 1)) == 0 && lo % n == 0) {
    int level = __builtin_ctzll(n);
    return Node(level, lo >> level, tree_size);
  }
  uint64_t k = uint64_t{1} << (63 - __builtin_clzll(n - 1));
  return NodeHash(Mth(lo, lo + k, tree_size), Mth(lo + k, hi, tree_size));
}

Hash256 LogData::Root(uint64_t tree_size) const {
  if (tree_size == 0) return ctdl::Sha256("");
  return Mth(0, std::min(tree_size, n_), tree_size);
}

void LogData::Proof(uint64_t m, uint64_t lo, uint64_t hi, bool complete, uint64_t ts,
                    std::vector<Hash256>* out) const {
  uint64_t n = hi - lo;
  if (m == n) {
    if (!complete) out->push_back(Mth(lo, hi, ts));
    return;
  }
  uint64_t k = uint64_t{1} << (63 - __builtin_clzll(n - 1));
  if (m <= k) {
    Proof(m, lo, lo + k, complete, ts, out);
    out->push_back(Mth(lo + k, hi, ts));
  } else {
    Proof(m - k, lo + k, hi, false, ts, out);
    out->push_back(Mth(lo, lo + k, ts));
  }
}

std::vector<Hash256> LogData::Consistency(uint64_t m, uint64_t n) const {
  std::vector<Hash256> out;
  if (m == 0 || m >= n || n > n_) return out;
  Proof(m, 0, n, true, n, &out);
  return out;
}

}  // namespace testlog
