#include "store/chunk.h"

namespace ctdl {

std::string_view ChunkStateName(ChunkState s) {
  switch (s) {
    case ChunkState::kFree: return "free";
    case ChunkState::kLeased: return "leased";
    case ChunkState::kDone: return "done";
  }
  return "free";
}

bool ParseChunkState(std::string_view name, ChunkState* out) {
  for (ChunkState s : {ChunkState::kFree, ChunkState::kLeased, ChunkState::kDone})
    if (name == ChunkStateName(s)) {
      *out = s;
      return true;
    }
  return false;
}

}  // namespace ctdl
