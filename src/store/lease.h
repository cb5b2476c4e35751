// Messages every StateStore backend gives for lease conflicts (state_store.h), so users see one
// wording whatever the backend. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "store/state_store.h"

namespace ctdl {

// kConflict: `stored` is held by someone else ("... is held by OWNER (lease N) for another S s").
Status LeaseHeld(const Lease& stored, int64_t now_ms);
// kConflict: `held` is no longer the stored lease (taken over by stored.owner, or released).
Status LeaseLost(const Lease& held, const Lease& stored);

}  // namespace ctdl
