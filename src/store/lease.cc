#include "store/lease.h"

#include <fmt/format.h>

namespace ctdl {

Status LeaseHeld(const Lease& stored, int64_t now_ms) {
  return Conflict(fmt::format(
      "{} is owned by another ctdl process ({}, lease {}) for another {:.0f} s; it renews the lease "
      "while it runs. Stop that process, or wait until it finishes; nothing was written",
      stored.key, stored.owner, stored.counter, static_cast<double>(stored.expires_ms - now_ms) / 1000.0));
}

Status LeaseLost(const Lease& held, const Lease& stored) {
  if (stored.owner.empty())
    return Conflict(fmt::format("the lease on {} (lease {}) is no longer held by {}", held.key, held.counter,
                                held.owner));
  return Conflict(fmt::format(
      "the lease on {} was taken over by {} (lease {}; ours was {} as {}): another ctdl process now "
      "owns it",
      held.key, stored.owner, stored.counter, held.counter, held.owner));
}

}  // namespace ctdl
