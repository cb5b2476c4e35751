// PrepareArchivePrefix (sync/archive_guard.h): what startup may delete, with a memory state store
// and archive.
#include "sync/archive_guard.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "base/clock.h"
#include "sink/memory_archive.h"
#include "sink/segment.h"
#include "store/memory_state_store.h"
#include "store/state_id.h"

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

  Status Prepare(Archive* archive = nullptr) {
    TRY_ASSIGN(auto state, store_->Get(kUrl));
    TRY(owner_.Acquire());
    TRY_ASSIGN(WriterIdentity me, IdentifyWriter(*store_, "memory:a"));
    claim_ = std::make_unique<ArchiveClaim>(archive ? archive : &archive_, &clock_, slug_, kUrl, me);
    return PrepareArchivePrefix(archive ? *archive : archive_, owner_, *claim_, *state, {slug_, 500});
  }

  // Another state store on the same archive (its own id) that takes the folder over.
  Status OtherStateTakesOver(Archive* archive = nullptr) {
    auto b = NewMemoryStateStore();
    TRY_ASSIGN(WriterIdentity them, IdentifyWriter(*b, "memory:b"));
    ArchiveClaim claim(archive ? archive : &archive_, &clock_, slug_, kUrl, them);
    return claim.TakeOver("adopt-archive", std::chrono::milliseconds(0)).status();
  }

  std::string StateId() { return StateStoreId(*store_).value(); }

  std::unique_ptr<StateStore> store_ = NewMemoryStateStore();
  FakeClock clock_{WallTime(std::chrono::seconds(1800000000))};
  MemoryArchive archive_;
  LogOwner owner_{store_.get(), &clock_, kUrl};
  std::unique_ptr<ArchiveClaim> claim_;
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
  // The folder has a manifest-less, claim-less history (written before claims existed): the state
  // that wrote it keeps working and claims it (generation 1).
  ASSERT_TRUE(Prepare().ok());
  EXPECT_EQ(archive_.Objects().count(pending_), 0u);
  EXPECT_EQ(store_->Get(kUrl).value()->pending_write, "");
  auto claim = ParseClaim(archive_.Objects()[ClaimKey(slug_, 1)]);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(claim->state_id, StateId());
  EXPECT_EQ(claim->state, "memory:a");
  EXPECT_EQ(claim_->generation(), 1u);
  ASSERT_TRUE(Prepare().ok());  // the next run holds generation 1 and writes no other
  EXPECT_EQ(archive_.Objects().count(ClaimKey(slug_, 2)), 0u);
}

// Issue 12's scenario (b): state B adopted exactly up to our unfinished segment (wrote nothing
// after it) and took the folder over. Our pending record and its bytes match, but B counts on the
// object: our restart must refuse, delete nothing and keep the record.
TEST_F(ArchiveGuardTest, AfterAnotherStateTookTheFolderOverNothingIsDeleted) {
  ArchiveClaim ours(&archive_, &clock_, slug_, kUrl, IdentifyWriter(*store_, "memory:a").value());
  ASSERT_TRUE(ours.Claim(1, "download").ok());
  ASSERT_TRUE(OtherStateTakesOver().ok());
  auto before = archive_.Objects();
  Status s = Prepare();
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("claimed by another state store: memory:b"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("adopt-archive"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Nothing was deleted or written"), std::string::npos) << s.message();
  EXPECT_EQ(archive_.Objects(), before);  // the pending object and both claims untouched
  EXPECT_NE(store_->Get(kUrl).value()->pending_write, "");
}

// The same without a claim of ours first (the folder was unclaimed when B adopted it).
TEST_F(ArchiveGuardTest, AFolderClaimedByAnotherStateIsRefusedEvenIfNeverOurs) {
  ASSERT_TRUE(OtherStateTakesOver().ok());  // generation 1, B's
  auto before = archive_.Objects();
  Status s = Prepare();
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_EQ(archive_.Objects(), before);
}

// A take-over landing between our claim check at startup and the delete of our pending write:
// the claim is checked again right before the delete.
class TakeOverWhenRead : public MemoryArchive {
 public:
  Result<std::string> Get(const std::string& key) override {
    if (key == trigger && hook) std::exchange(hook, nullptr)();
    return MemoryArchive::Get(key);
  }
  std::string trigger;
  std::function<void()> hook;
};

TEST_F(ArchiveGuardTest, TheClaimIsCheckedRightBeforeTheDelete) {
  TakeOverWhenRead a;
  for (const auto& [k, v] : archive_.Objects()) ASSERT_TRUE(a.Put(k, v).ok());
  a.trigger = pending_;
  a.hook = [&] { ASSERT_TRUE(OtherStateTakesOver(&a).ok()); };
  Status s = Prepare(&a);
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("took the archive folder"), std::string::npos) << s.message();
  EXPECT_EQ(a.Objects().count(pending_), 1u);  // kept
  EXPECT_EQ(a.Objects().count(ClaimKey(slug_, 2)), 1u);
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
  // Unclaimed folder with another writer's segments: this state takes no claim either.
  EXPECT_EQ(objects.count(ClaimKey(slug_, 1)), 0u);
}

}  // namespace
}  // namespace ctdl
