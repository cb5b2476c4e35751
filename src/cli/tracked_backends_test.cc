#include "cli/tracked_backends.h"

#include <gtest/gtest.h>

#include "sink/memory_archive.h"
#include "store/memory_state_store.h"

namespace ctdl::cli {
namespace {

TEST(TrackedBackends, ErrorsAreTracedToTheBackendTheyCameFrom) {
  auto store = NewMemoryStateStore();
  auto archive = NewMemoryArchive();
  ErrorLog store_errors, archive_errors;
  auto ts = TrackStore(store.get(), &store_errors);
  auto ta = TrackArchive(archive.get(), &archive_errors);
  archive->FailNext(MemoryArchive::Op::kPut, 1, IoError("disk full (injected)"));
  Status put = ta->Put("log/x", "data");
  ASSERT_FALSE(put.ok());
  Status adv = ts->Advance("https://unknown.example/", 0, {1, 0, ""});  // kNotFound
  ASSERT_FALSE(adv.ok());
  // The download annotates errors on their way up; the origin is still found.
  Status from_archive = put.Annotate("https://log.example/: writing log/x");
  Status from_store = adv.Annotate("https://log.example/: committing position 1");
  EXPECT_EQ(OriginOf(from_archive, store_errors, archive_errors), Origin::kArchive);
  EXPECT_EQ(OriginOf(from_store, store_errors, archive_errors), Origin::kStateStore);
  EXPECT_EQ(OriginOf(Unavailable("log.example: HTTP 503 (after 12 attempts)"), store_errors,
                     archive_errors, Origin::kNetwork),
            Origin::kNetwork);
  EXPECT_EQ(ExitCodeFor(from_archive, Origin::kArchive), kExitArchive);
  EXPECT_EQ(ExitCodeFor(Unavailable("database is locked"), Origin::kStateStore), kExitStateStore);
  EXPECT_EQ(ExitCodeFor(Corrupt("get-entries reply is not JSON"), Origin::kNetwork), kExitNetwork);
  // A missing object is an answer, not trouble; conflicts keep their own code.
  EXPECT_EQ(ta->Get("log/missing").status().code(), Code::kNotFound);
  EXPECT_FALSE(archive_errors.Produced(NotFound("no object log/missing in memory archive")));
}

}  // namespace
}  // namespace ctdl::cli
