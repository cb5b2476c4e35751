// In-memory StateStore for tests: the reference behaviour of the contract (state_store.h).
// Thread-safe (one mutex). Nothing persists.
#pragma once

#include <memory>

#include "store/state_store.h"

namespace ctdl {

std::unique_ptr<StateStore> NewMemoryStateStore();

}  // namespace ctdl
