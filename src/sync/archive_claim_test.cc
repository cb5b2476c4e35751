// ArchiveClaim (sync/archive_claim.h) and the claim format (sink/writer_claim.h), with memory
// archives and state stores.
#include "sync/archive_claim.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "sink/memory_archive.h"
#include "store/memory_state_store.h"
#include "store/state_id.h"

namespace ctdl {
namespace {

constexpr char kUrl[] = "https://ct.example/log/";
constexpr char kSlug[] = "ct.example_log";

// A server whose PUT is not create-exclusive (s3rver): the last writer wins.
class OverwritingArchive : public MemoryArchive {
 public:
  Status Put(const std::string& key, std::string_view data) override {
    (void)MemoryArchive::Delete(key);
    return MemoryArchive::Put(key, data);
  }
};

class ArchiveClaimTest : public ::testing::Test {
 protected:
  ArchiveClaim Make(StateStore& store, const std::string& name, Archive* archive = nullptr) {
    return ArchiveClaim(archive ? archive : &archive_, &clock_, kSlug, kUrl, IdentifyWriter(store, name).value());
  }
  std::unique_ptr<StateStore> a_ = NewMemoryStateStore(), b_ = NewMemoryStateStore();
  FakeClock clock_;
  MemoryArchive archive_;
};

TEST(WriterClaimFormat, RoundTripAndHostileBytes) {
  WriterClaim c;
  c.generation = 7;
  c.log_url = kUrl;
  c.state_id = "st-0123";
  c.state = "sqlite:/x \"y\"\n.db";
  c.by = "adopt-archive";
  c.created_at = 1767225600;
  auto back = ParseClaim(SerializeClaim(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->generation, 7u);
  EXPECT_EQ(back->state, c.state);
  EXPECT_EQ(back->state_id, c.state_id);
  EXPECT_EQ(ClaimKey(kSlug, 7), "ct.example_log/ctdl-writer-000007.json");
  EXPECT_EQ(ParseClaimKey(ClaimKey(kSlug, 7)), 7u);
  EXPECT_EQ(ParseClaimKey(ClaimKey(kSlug, 1234567)), 1234567u);
  for (const char* bad : {"x/ctdl-writer-.json", "x/ctdl-writer-000000.json", "x/ctdl-writer-1a.json",
                          "x/ctdl-writer-1.jso", "x/000000000000-000000000499.jsonl.gz",
                          "x/ctdl-writer-1234567890123456789.json"})
    EXPECT_FALSE(ParseClaimKey(bad).has_value()) << bad;
  for (const char* bad : {"", "[]", "{\"format\":1}", "{\"format\":1,\"generation\":0,\"log_url\":\"u\",\"state_id\":\"s\"}",
                          "{\"format\":1,\"generation\":1,\"log_url\":\"u\",\"state_id\":\"\"}", "{\"format\":1,\"gen"})
    EXPECT_EQ(ParseClaim(bad).status().code(), Code::kCorrupt) << bad;
}

TEST_F(ArchiveClaimTest, StateIdIsStablePerStoreAndDiffersBetweenStores) {
  auto a1 = StateStoreId(*a_), a2 = StateStoreId(*a_), b = StateStoreId(*b_);
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(*a1, *b);
  EXPECT_EQ(a1->size(), 35u);
  EXPECT_TRUE(a_->List().value().empty());  // not a log
}

TEST_F(ArchiveClaimTest, TheFirstClaimWinsAndTheSecondStateStoreIsRefused) {
  ArchiveClaim a = Make(*a_, "sqlite:/a.db"), b = Make(*b_, "sqlite:/b.db");
  ASSERT_TRUE(a.Claim(1, "download").ok());
  std::string bytes = archive_.Objects()[ClaimKey(kSlug, 1)];
  Status s = b.Claim(1, "download");
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("claimed by another state store: sqlite:/a.db (state id " + StateStoreId(*a_).value()),
            std::string::npos) << s.message();
  EXPECT_NE(s.message().find("adopt-archive"), std::string::npos);
  EXPECT_EQ(b.generation(), 0u);
  auto newest = b.Newest();
  ASSERT_TRUE(newest.ok() && newest->has_value());
  EXPECT_EQ(b.Hold(**newest).code(), Code::kConflict);
  EXPECT_EQ(archive_.Objects()[ClaimKey(kSlug, 1)], bytes);  // never replaced
  EXPECT_TRUE(a.Check().ok());
}

TEST_F(ArchiveClaimTest, ProcessesOfOneStateStoreAreOneWriter) {
  // Two distributed workers sharing a state store: other process ids, other bytes, same writer.
  ArchiveClaim w1 = Make(*a_, "dynamodb:t"), w2 = Make(*a_, "dynamodb:t");
  ASSERT_NE(w1.me().process, w2.me().process);
  ASSERT_TRUE(w1.Claim(1, "download --distributed").ok());
  Status s = w2.Claim(1, "download --distributed");  // its Put is refused, the claim is its store's
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(w1.Check().ok());
  EXPECT_TRUE(w2.Check().ok());
}

TEST_F(ArchiveClaimTest, TakeOverMakesTheNextGenerationAndTheOldWriterStops) {
  ArchiveClaim a = Make(*a_, "sqlite:/a.db"), b = Make(*b_, "sqlite:/b.db");
  ASSERT_TRUE(a.Claim(1, "download").ok());
  std::string first = archive_.Objects()[ClaimKey(kSlug, 1)];
  auto took = b.TakeOver("adopt-archive", std::chrono::milliseconds(5000));
  ASSERT_TRUE(took.ok()) << took.status().ToString();
  ASSERT_TRUE(took->has_value());
  EXPECT_EQ((*took)->state, "sqlite:/a.db");
  EXPECT_EQ(b.generation(), 2u);
  EXPECT_EQ(clock_.TotalSlept(), std::chrono::milliseconds(5000));  // waited for A's requests in flight
  Status s = a.Check();
  EXPECT_EQ(s.code(), Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("took the archive folder"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("sqlite:/b.db"), std::string::npos) << s.message();
  ArchiveClaim a_again = Make(*a_, "sqlite:/a.db");  // A's restart
  auto newest = a_again.Newest();
  ASSERT_TRUE(newest.ok() && newest->has_value());
  EXPECT_EQ((*newest)->generation, 2u);
  EXPECT_EQ(a_again.Hold(**newest).code(), Code::kConflict);
  // Taking it back is the same explicit step; generations only grow; nothing is rewritten.
  auto back = a_again.TakeOver("adopt-archive", std::chrono::milliseconds(0));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(a_again.generation(), 3u);
  EXPECT_EQ(b.Check().code(), Code::kConflict);
  EXPECT_EQ(archive_.Objects()[ClaimKey(kSlug, 1)], first);
  // The holder's own take-over changes nothing.
  auto again = a_again.TakeOver("adopt-archive", std::chrono::milliseconds(0));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(archive_.Objects().count(ClaimKey(kSlug, 4)), 0u);
}

TEST_F(ArchiveClaimTest, WithoutCreateExclusivePutTheLoserFindsOutAtItsCheck) {
  OverwritingArchive s3rver;
  ArchiveClaim a = Make(*a_, "a", &s3rver), b = Make(*b_, "b", &s3rver);
  ASSERT_TRUE(a.Claim(1, "download").ok());
  ASSERT_TRUE(b.Claim(1, "download").ok());  // replaced A's claim: the last writer wins
  EXPECT_EQ(a.Check().code(), Code::kConflict);  // A commits nothing
  EXPECT_TRUE(b.Check().ok());
}

TEST_F(ArchiveClaimTest, AClaimThatDoesNotParseIsReadAgainThenRefusedNeverReplaced) {
  ASSERT_TRUE(archive_.Put(ClaimKey(kSlug, 1), "{\"format\":1,\"gen").ok());
  ArchiveClaim a = Make(*a_, "a");
  auto newest = a.Newest();
  EXPECT_EQ(newest.status().code(), Code::kConflict) << newest.status().ToString();
  EXPECT_NE(newest.status().message().find("is not a ctdl writer claim"), std::string::npos);
  EXPECT_EQ(clock_.TotalSlept(), std::chrono::milliseconds(1400));
  EXPECT_EQ(a.Claim(1, "download").code(), Code::kConflict);
  EXPECT_EQ(archive_.Objects()[ClaimKey(kSlug, 1)], "{\"format\":1,\"gen");
}

TEST_F(ArchiveClaimTest, AClaimNamingAnotherLogIsRefused) {
  ArchiveClaim other(&archive_, &clock_, kSlug, "https://other.example/", IdentifyWriter(*b_, "b").value());
  ASSERT_TRUE(other.Claim(1, "download").ok());
  auto newest = Make(*a_, "a").Newest();
  EXPECT_EQ(newest.status().code(), Code::kConflict);
  EXPECT_NE(newest.status().message().find("names the log https://other.example/"), std::string::npos)
      << newest.status().message();
}

}  // namespace
}  // namespace ctdl
