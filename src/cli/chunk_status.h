// What `ctdl status` adds for logs downloaded with --distributed (doc/distributed.md): per log, the
// chunks done / leased / free and who holds the leased ones. Pure (text from values).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/chunk.h"
#include "store/state_store.h"

namespace ctdl::cli {

// "" when the log has no chunk items. now: unix seconds (a lease past its expiry counts as free).
// Lines:
//   chunks of URL (N entries each): D done, L leased, F free (R rejected); position P of T
//     chunk K [A, B) leased by OWNER for S s more, at index I
//     chunk K [A, B) rejected 2 times: NOTE
std::string FormatChunkStatus(const LogState& log, const std::vector<Chunk>& items, int64_t now);

}  // namespace ctdl::cli
