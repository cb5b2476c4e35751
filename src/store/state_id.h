// The state store's id: one random name per state store (an SQLite file, a DynamoDB table), made
// the first time it is asked for and kept in the store itself, so every process and every machine
// that uses the same store gets the same id, and a fresh or re-created store gets a new one. The
// archive's writer claims name it (sync/archive_claim.h, doc/segments.md "Writer claim").
// Kept as the owner of a lease that never expires on the key kStateIdKey (the leases every backend
// already has: compare-and-set, never listed as a log; doc/state.md "State id"). A copy of an SQLite
// file has the same id as the original (it is the same state until the two diverge).
// Thread-safe as the store is.
#pragma once

#include <string>

#include "base/status.h"
#include "store/state_store.h"

namespace ctdl {

inline constexpr char kStateIdKey[] = "ctdl:state-id";

// "st-<32 hex>". The first call on a store creates it (a race of two first calls: both get the
// winner's). kConflict never; store errors as they come.
Result<std::string> StateStoreId(StateStore& store);

}  // namespace ctdl
