// PrepareArchivePrefix (sync/archive_guard.h): what startup may delete, with a memory state store
// and archive.
#include "sync/archive_guard.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "sink/memory_archive.h"
#include "sink/segment.h"
#include "store/memory_state_store.h"

namespace ctdl {
namespace {

constexpr char kUrl[] = "https://ct.example/log/";

class ArchiveGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LogState log;
    log.url = kUrl;
    ASSERT_TRUE(store_->Register({log}, false).ok());
    // An earlier run of this state committed [0, 1000), recorded [1000, 1499] as its pending write,
    // Put it and was killed before the Advance.
    auto lease = store_->AcquireLease(kUrl, "gone:1:x", 0, 1);
    ASSERT_TRUE(lease.ok());
    Progress p;
    p.position = 1000;
    p.lease_owner = lease->owner;
    p.lease_counter = lease->counter;
    ASSERT_TRUE(store_->Advance(kUrl, 0, p).ok());
    ASSERT_TRUE(store_->RecordPendingWrite(kUrl, *lease, FormatPendingWrite(pending_, "ours")).ok());
    ASSERT_TRUE(archive_.Put(SegmentKey(slug_, 0, 999, Compression::kGzip), "committed").ok());
    ASSERT_TRUE(archive_.Put(pending_, "ours").ok());
  }

  Status Prepare() {
    TRY_ASSIGN(auto state, store_->Get(kUrl));
    TRY(owner_.Acquire());
    return PrepareArchivePrefix(archive_, owner_, *state, {slug_, 500});
  }

  std::unique_ptr<StateStore> store_ = NewMemoryStateStore();
  FakeClock clock_{WallTime(std::chrono::seconds(1800000000))};
  MemoryArchive archive_;
  LogOwner owner_{store_.get(), &clock_, kUrl};
  std::string slug_ = LogSlug(kUrl);
  std::string pending_ = SegmentKey(slug_, 1000, 1499, Compression::kGzip);
};

// Another writer's manifest upload still in progress on a server that writes in place reads as
// garbage for a moment: read again before refusing; a manifest that stays garbage is refused.
class HalfWrittenManifest : public MemoryArchive {
 public:
  Result<std::string> Get(const std::string& key) override {
    if (key.size() > 18 && key.compare(key.size() - 18, 18, "ctdl-manifest.json") == 0 && bad_reads-- > 0)
      return std::string("{\"log_u");
    return MemoryArchive::Get(key);
  }
  int bad_reads = 0;
};

TEST_F(ArchiveGuardTest, AManifestBeingWrittenIsReadAgain) {
  LogState state = store_->Get(kUrl).value().value();
  HalfWrittenManifest a;
  ASSERT_TRUE(CheckManifest(a, state, {slug_, 500}, true).ok());  // written
  a.bad_reads = 1;
  Status s = CheckManifest(a, state, {slug_, 500}, true);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(a.bad_reads, -1);  // read twice
  a.bad_reads = 100;
  s = CheckManifest(a, state, {slug_, 500}, true);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("is not a ctdl manifest"), std::string::npos) << s.ToString();
}

TEST_F(ArchiveGuardTest, AloneBeyondThePositionTheRecordedWriteIsRemoved) {
  ASSERT_TRUE(Prepare().ok());
  EXPECT_EQ(archive_.Objects().count(pending_), 0u);
  EXPECT_EQ(store_->Get(kUrl).value()->pending_write, "");
}

TEST_F(ArchiveGuardTest, WithOtherSegmentsBeyondItTheRecordedWriteIsKept) {
  // Another state store on the same archive adopted [0, 1500) (our pending object included) and
  // wrote on: its committed data. Same bytes as recorded do not make the object ours alone.
  std::string theirs = SegmentKey(slug_, 1500, 1999, Compression::kGzip);
  ASSERT_TRUE(archive_.Put(theirs, "theirs").ok());
  Status s = Prepare();
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("adopt-archive"), std::string::npos) << s.message();
  auto objects = archive_.Objects();
  EXPECT_EQ(objects[pending_], "ours");
  EXPECT_EQ(objects[theirs], "theirs");
  EXPECT_NE(store_->Get(kUrl).value()->pending_write, "");  // the record is kept too
}

}  // namespace
}  // namespace ctdl
