#include "cli/chunk_status.h"

#include <gtest/gtest.h>

namespace ctdl::cli {
namespace {

Chunk Item(uint64_t index, ChunkState state, uint64_t position) {
  Chunk c;
  c.url = "https://log.example/";
  c.index = index;
  c.size = 256;
  c.state = state;
  c.position = position;
  return c;
}

TEST(ChunkStatus, CountsChunksAndNamesHolders) {
  LogState log;
  log.url = "https://log.example/";
  log.position = 512;
  log.tree_size = 1500;  // chunks 0..5; 0 and 1 folded
  EXPECT_EQ(FormatChunkStatus(log, {}, 1000), "");
  Chunk leased = Item(3, ChunkState::kLeased, 800);
  leased.owner = "host-a:17:0badf00d";
  leased.expires_at = 1030;
  Chunk expired = Item(4, ChunkState::kLeased, 1024);
  expired.owner = "host-b:18:00000001";
  expired.expires_at = 990;  // counts as free
  Chunk rejected = Item(2, ChunkState::kFree, 512);
  rejected.rejected = 2;
  rejected.note = "chunk 2 [512, 768) does not match the signed tree head";
  std::string out = FormatChunkStatus(log, {rejected, leased, expired, Item(5, ChunkState::kFree, 1500)}, 1000);
  EXPECT_NE(out.find("chunks of https://log.example/ (256 entries each): 3 done, 1 leased, 2 free (1 "
                     "rejected); position 512 of 1500"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("chunk 3 [768, 1024) leased by host-a:17:0badf00d for 30 s more, at index 800"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("host-b"), std::string::npos) << out;
  EXPECT_NE(out.find("chunk 2 [512, 768) rejected 2 times: chunk 2 [512, 768) does not match"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace ctdl::cli
