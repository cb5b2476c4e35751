// The StateStore lease and pending-write contract (state_store.h), run against every backend (the
// suite is instantiated in state_store_contract_test.cc and dynamodb_state_store_test.cc).
#include <atomic>
#include <thread>

#include "store/state_id.h"
#include "store/state_store_contract.h"

namespace ctdl {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // unix ms
constexpr int64_t kTtl = 30'000;

TEST_P(StateStoreContract, LeaseIsExclusiveUntilItExpires) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string key = UniqueUrl("a");
  auto free = store->GetLease(key);
  ASSERT_TRUE(free.ok()) << free.status().ToString();
  EXPECT_TRUE(free->owner.empty());
  EXPECT_EQ(free->counter, 0u);

  auto a = store->AcquireLease(key, "host:1:aa", kNow, kTtl);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->owner, "host:1:aa");
  EXPECT_EQ(a->counter, 1u);
  EXPECT_EQ(a->expires_ms, kNow + kTtl);

  auto b = store->AcquireLease(key, "host:2:bb", kNow + 1000, kTtl);
  ASSERT_EQ(b.status().code(), Code::kConflict);
  EXPECT_NE(b.status().message().find("host:1:aa"), std::string::npos) << b.status().message();

  // The holder acquiring again renews: same counter, later expiry.
  auto again = store->AcquireLease(key, "host:1:aa", kNow + 2000, kTtl);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->counter, 1u);
  EXPECT_EQ(again->expires_ms, kNow + 2000 + kTtl);

  // Expired: anyone may take it, and the counter (the fencing token) goes up.
  auto c = store->AcquireLease(key, "host:2:bb", kNow + 2000 + kTtl, kTtl);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->counter, 2u);
  auto stored = store->GetLease(key);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->owner, "host:2:bb");
  EXPECT_EQ(stored->counter, 2u);

  // The old holder's renewal is refused, its release changes nothing.
  EXPECT_EQ(store->RenewLease(*again, kNow + 3000, kTtl).status().code(), Code::kConflict);
  EXPECT_TRUE(store->ReleaseLease(*again).ok());
  EXPECT_EQ(store->GetLease(key)->owner, "host:2:bb");
}

TEST_P(StateStoreContract, LeaseRenewReleaseAndDeadOwner) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string key = UniqueUrl("a") + "#chunk/0";  // any key, not only a log's url
  auto a = store->AcquireLease(key, "h:1:x", kNow, kTtl);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto r = store->RenewLease(*a, kNow + 10'000, kTtl);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->expires_ms, kNow + 10'000 + kTtl);
  EXPECT_EQ(r->counter, 1u);
  // Expired but nobody took it: still ours to renew.
  auto late = store->RenewLease(*r, kNow + 100'000, kTtl);
  ASSERT_TRUE(late.ok()) << late.status().ToString();

  // A holder proven dead (dead_owner) is replaced before expiry; someone else is not.
  EXPECT_EQ(store->AcquireLease(key, "h:2:y", kNow + 100'001, kTtl, "h:9:zz").status().code(),
            Code::kConflict);
  auto b = store->AcquireLease(key, "h:2:y", kNow + 100'001, kTtl, "h:1:x");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->counter, 2u);

  ASSERT_TRUE(store->ReleaseLease(*b).ok());
  auto freed = store->GetLease(key);
  ASSERT_TRUE(freed.ok());
  EXPECT_TRUE(freed->owner.empty());
  EXPECT_EQ(freed->counter, 2u);  // kept: the fencing token never goes down
  auto c = store->AcquireLease(key, "h:3:z", kNow + 100'002, kTtl);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->counter, 3u);

  // A lease on a key that is not a log does not show up as a log.
  auto list = store->List();
  ASSERT_TRUE(list.ok());
  for (const auto& l : *list) EXPECT_NE(l.url, key);
  auto got = store->Get(key);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(StateStoreContract, AdvanceAndPendingWriteNeedTheLease) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState log = MakeLog(UniqueUrl("a"), 1000);
  ASSERT_TRUE(store->Register({log}, false).ok());
  auto a = store->AcquireLease(log.url, "h:1:a", kNow, kTtl);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(store->RecordPendingWrite(log.url, *a, "log/000-099.jsonl.gz abcd").ok());
  EXPECT_EQ(MustGet(store.get(), log.url).pending_write, "log/000-099.jsonl.gz abcd");

  Progress p{100, 100, "100:h"};
  p.lease_owner = a->owner;
  p.lease_counter = a->counter;
  ASSERT_TRUE(store->Advance(log.url, 0, p).ok());
  LogState g = MustGet(store.get(), log.url);
  EXPECT_EQ(g.position, 100u);
  EXPECT_EQ(g.pending_write, "");  // cleared by the Advance

  // Someone takes the lease over (ours expired): our writes are refused and change nothing.
  ASSERT_TRUE(store->RecordPendingWrite(log.url, *a, "log/100-199.jsonl.gz ef01").ok());
  auto b = store->AcquireLease(log.url, "h:2:b", kNow + kTtl, kTtl);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(store->RecordPendingWrite(log.url, *a, "x y").code(), Code::kConflict);
  Progress q{200, 200, "200:h"};
  q.lease_owner = a->owner;
  q.lease_counter = a->counter;
  Status lost = store->Advance(log.url, 100, q);
  EXPECT_EQ(lost.code(), Code::kConflict);
  EXPECT_NE(lost.message().find("h:2:b"), std::string::npos) << lost.message();
  g = MustGet(store.get(), log.url);
  EXPECT_EQ(g.position, 100u);
  EXPECT_EQ(g.pending_write, "log/100-199.jsonl.gz ef01");  // the new owner's cleanup sees it

  // The new owner clears it.
  ASSERT_TRUE(store->RecordPendingWrite(log.url, *b, "").ok());
  EXPECT_EQ(MustGet(store.get(), log.url).pending_write, "");
  EXPECT_EQ(store->RecordPendingWrite(UniqueUrl("missing"), *b, "k d").code(), Code::kNotFound);
  // Advance without a lease (tools, tests) still works as plain compare-and-set.
  ASSERT_TRUE(store->Advance(log.url, 100, {150, 150, "150:h"}).ok());
}

// Threads race for one free lease: exactly one wins, the others get kConflict.
TEST_P(StateStoreContract, ConcurrentAcquireHasOneWinner) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState log = MakeLog(UniqueUrl("a"), 1000);
  ASSERT_TRUE(store->Register({log}, false).ok());
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto r = store->AcquireLease(log.url, "h:" + std::to_string(t) + ":x", kNow, kTtl);
      if (r.ok())
        ++wins;
      else if (r.status().code() == Code::kConflict)
        ++conflicts;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 3);
  EXPECT_EQ(store->GetLease(log.url)->counter, 1u);
}

// The state store's id (store/state_id.h) rides on a lease that never expires: made once, the same
// on every later call, never listed as a log.
TEST_P(StateStoreContract, StateIdIsMadeOnceAndIsNotALog) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  auto a = StateStoreId(*store);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->rfind("st-", 0), 0u);
  EXPECT_EQ(a->size(), 35u);
  auto b = StateStoreId(*store);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  auto taken = store->AcquireLease(kStateIdKey, "host:1:aa", kNow, kTtl);  // it never expires
  EXPECT_EQ(taken.status().code(), Code::kConflict);
  ASSERT_TRUE(store->Register({MakeLog(UniqueUrl("log"))}, false).ok());
  auto logs = store->List();
  ASSERT_TRUE(logs.ok());
  for (const auto& l : *logs) EXPECT_NE(l.url, kStateIdKey);
}

}  // namespace
}  // namespace ctdl
