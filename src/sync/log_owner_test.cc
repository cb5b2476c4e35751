#include "sync/log_owner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "store/memory_state_store.h"

namespace ctdl {
namespace {

std::string ThisHost() {
  std::string id = NewOwnerId();
  return id.substr(0, id.find(':'));
}

TEST(OwnerId, GoneOnlyForADeadPidOfThisHost) {
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(OwnerIsGoneHere(ThisHost() + ":" + std::to_string(child) + ":00"));
  EXPECT_FALSE(OwnerIsGoneHere(ThisHost() + ":" + std::to_string(::getppid()) + ":00"));  // alive
  EXPECT_FALSE(OwnerIsGoneHere(ThisHost() + ":" + std::to_string(::getpid()) + ":00"));   // us
  EXPECT_FALSE(OwnerIsGoneHere("another-host:" + std::to_string(child) + ":00"));
  // The same host name in another pid space (a cloned machine, a container on the host network) or
  // without one (an older ctdl): its pids are not ours to check, so its lease is never taken over.
  std::string name = ThisHost().substr(0, ThisHost().find('/'));
  EXPECT_NE(name, ThisHost()) << "no boot id / pid namespace in the owner id";
  EXPECT_FALSE(OwnerIsGoneHere(name + ":" + std::to_string(child) + ":00"));
  EXPECT_FALSE(OwnerIsGoneHere(name + "/0123456789ab-4026531836:" + std::to_string(child) + ":00"));
  EXPECT_FALSE(OwnerIsGoneHere("garbage"));
  EXPECT_FALSE(OwnerIsGoneHere(ThisHost() + ":-5:00"));
}

TEST(PendingWrite, FormatsAndParses) {
  std::string p = FormatPendingWrite("slug/000000000000-000000000999.jsonl.gz", "bytes");
  auto got = ParsePendingWrite(p);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->key, "slug/000000000000-000000000999.jsonl.gz");
  EXPECT_EQ(got->sha256_hex, Sha256HexOf("bytes"));
  EXPECT_FALSE(ParsePendingWrite(""));
  EXPECT_FALSE(ParsePendingWrite("key-without-digest"));
  EXPECT_FALSE(ParsePendingWrite("key abc"));
}

TEST(LogOwner, SecondOwnerRefusedHeartbeatRenewsReleaseFrees) {
  auto store = NewMemoryStateStore();
  LogState log;
  log.url = "https://log.example/";
  ASSERT_TRUE(store->Register({log}, false).ok());
  LeaseTiming t{std::chrono::milliseconds(300), std::chrono::milliseconds(20)};
  LogOwner a(store.get(), RealClock(), log.url, t);
  ASSERT_TRUE(a.Acquire().ok());
  LogOwner b(store.get(), RealClock(), log.url, t);
  Status refused = b.Acquire();
  EXPECT_EQ(refused.code(), Code::kConflict);
  a.StartHeartbeat(nullptr);
  int64_t first_expiry = a.lease().expires_ms;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // longer than the ttl
  EXPECT_GT(a.lease().expires_ms, first_expiry);                // renewed meanwhile
  EXPECT_EQ(b.Acquire().code(), Code::kConflict);               // so still ours
  ASSERT_TRUE(a.Release().ok());
  EXPECT_TRUE(b.Acquire().ok());
  EXPECT_EQ(b.lease().counter, 2u);
}

TEST(LogOwner, LostLeaseIsReportedOnceAndReleaseSaysSo) {
  auto store = NewMemoryStateStore();
  LogState log;
  log.url = "https://log.example/";
  ASSERT_TRUE(store->Register({log}, false).ok());
  LogOwner a(store.get(), RealClock(), log.url,
             {std::chrono::milliseconds(60000), std::chrono::milliseconds(10)});
  ASSERT_TRUE(a.Acquire().ok());
  std::atomic<int> lost{0};
  a.StartHeartbeat([&](Status s) {
    EXPECT_EQ(s.code(), Code::kConflict);
    ++lost;
  });
  ASSERT_TRUE(store->AcquireLease(log.url, "thief:1:x", 0, 60000, a.lease().owner).ok());
  for (int i = 0; i < 200 && lost == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(lost.load(), 1);
  EXPECT_EQ(a.RecordPending("k", "d").code(), Code::kConflict);
  EXPECT_EQ(store->GetLease(log.url)->owner, "thief:1:x");  // Release does not free the thief's
  (void)a.Release();
  EXPECT_EQ(store->GetLease(log.url)->owner, "thief:1:x");
}

}  // namespace
}  // namespace ctdl
