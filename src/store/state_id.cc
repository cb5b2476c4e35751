#include "store/state_id.h"

#include <fmt/format.h>

#include <random>

namespace ctdl {
namespace {

// Far beyond any clock (2^62 ms is 146 million years), and far from int64 overflow.
constexpr int64_t kNever = int64_t{1} << 62;

bool IsStateId(const std::string& s) {
  if (s.size() != 35 || s.compare(0, 3, "st-") != 0) return false;
  for (size_t i = 3; i < s.size(); ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}

}  // namespace

Result<std::string> StateStoreId(StateStore& store) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    TRY_ASSIGN(Lease l, store.GetLease(kStateIdKey));
    if (!l.owner.empty()) {
      if (!IsStateId(l.owner))
        return Corrupt(fmt::format("the state store's id (lease {}) is \"{}\", not st-<32 hex>",
                                   kStateIdKey, l.owner.substr(0, 80)));
      return l.owner;
    }
    std::random_device rd;
    std::string id = fmt::format("st-{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
    // now_ms 0: the lease only counts as free when nobody holds it (its expiry is kNever).
    auto got = store.AcquireLease(kStateIdKey, id, 0, kNever);
    if (got.ok()) return got->owner;
    if (got.status().code() != Code::kConflict) return got.status();
    // Another process made it first: read theirs.
  }
  return Unavailable(fmt::format("could not read or create the state store's id ({})", kStateIdKey));
}

}  // namespace ctdl
