// The StateStore contract (state_store.h), run against every backend.
#include "store/state_store_contract.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <random>
#include <thread>

#include "store/memory_state_store.h"
#include "store/sqlite_state_store.h"

namespace ctdl {
namespace {

TEST_P(StateStoreContract, GetUnknownIsNullopt) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  auto r = store->Get(UniqueUrl("nope"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
}

TEST_P(StateStoreContract, RegisterThenGetAndList) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 100);
  LogState b = MakeLog(UniqueUrl("b"), 0);
  b.log_type = "tiled";
  b.submission_url = "https://submit.example/b/";
  ASSERT_TRUE(store->Register({b, a}, false).ok());
  auto got = store->Get(a.url);
  ASSERT_TRUE(got.ok() && got->has_value());
  const LogState& g = **got;
  EXPECT_EQ(g.url, a.url);
  EXPECT_EQ(g.description, a.description);
  EXPECT_EQ(g.log_type, "rfc6962");
  EXPECT_EQ(g.operator_name, "Operator");
  EXPECT_EQ(g.log_id, a.log_id);
  EXPECT_EQ(g.key, a.key);
  EXPECT_EQ(g.mmd, 86400);
  EXPECT_EQ(g.list_state, "usable");
  EXPECT_EQ(g.tree_size, 100u);
  EXPECT_EQ(g.sth, a.sth);
  EXPECT_EQ(g.position, 0u);
  EXPECT_EQ(g.verified_size, 0u);
  EXPECT_EQ(g.compact_range, "");
  EXPECT_GT(g.updated_at, 0);
  auto gb = store->Get(b.url);
  ASSERT_TRUE(gb.ok() && gb->has_value());
  EXPECT_EQ((*gb)->log_type, "tiled");
  EXPECT_EQ((*gb)->submission_url, "https://submit.example/b/");

  auto list = store->List();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> ours;
  for (const auto& l : *list)
    if (l.url == a.url || l.url == b.url) ours.push_back(l.url);
  ASSERT_EQ(ours.size(), 2u);
  EXPECT_EQ(ours[0], a.url);  // sorted by url: ".../a/" < ".../b/"
  EXPECT_EQ(ours[1], b.url);
  for (size_t i = 1; i < list->size(); ++i) EXPECT_LT((*list)[i - 1].url, (*list)[i].url);
}

TEST_P(StateStoreContract, ReRegisterKeepsProgressAndRefreshesMetadata) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 1000);
  ASSERT_TRUE(store->Register({a}, false).ok());
  ASSERT_TRUE(store->Advance(a.url, 0, {500, 256, "500:xyz"}).ok());
  a.description = "Renamed";
  a.list_state = "readonly";
  a.tree_size = 900;  // smaller: ignored
  a.sth = "older";
  ASSERT_TRUE(store->Register({a}, false).ok());
  auto g = store->Get(a.url);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->description, "Renamed");
  EXPECT_EQ((*g)->list_state, "readonly");
  EXPECT_EQ((*g)->tree_size, 1000u);
  EXPECT_EQ((*g)->sth, "{\"tree_size\":1000}");
  EXPECT_EQ((*g)->position, 500u);
  EXPECT_EQ((*g)->verified_size, 256u);
  EXPECT_EQ((*g)->compact_range, "500:xyz");

  a.tree_size = 2000;
  a.sth = "newer";
  ASSERT_TRUE(store->Register({a}, false).ok());
  g = store->Get(a.url);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->tree_size, 2000u);
  EXPECT_EQ((*g)->sth, "newer");
  EXPECT_EQ((*g)->position, 500u);
}

TEST_P(StateStoreContract, UnverifiedPrefixIsProgress) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 1000);
  ASSERT_TRUE(store->Register({a}, false).ok());
  EXPECT_EQ(MustGet(store.get(), a.url).unverified_prefix, 0u);
  ASSERT_TRUE(store->Advance(a.url, 0, {600, 600, "600:abc", 300}).ok());
  EXPECT_EQ(MustGet(store.get(), a.url).unverified_prefix, 300u);
  ASSERT_TRUE(store->Register({a}, false).ok());  // re-registering keeps it
  EXPECT_EQ(MustGet(store.get(), a.url).unverified_prefix, 300u);
  ASSERT_TRUE(store->Advance(a.url, 600, {800, 800, "800:abd", 0}).ok());
  EXPECT_EQ(MustGet(store.get(), a.url).unverified_prefix, 0u);
}

TEST_P(StateStoreContract, ResetZeroesProgressOnly) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 1000);
  LogState b = MakeLog(UniqueUrl("b"), 1000);
  ASSERT_TRUE(store->Register({a, b}, false).ok());
  ASSERT_TRUE(store->Advance(a.url, 0, {700, 700, "700:abc", 300}).ok());
  ASSERT_TRUE(store->Register({a}, true).ok());
  auto g = store->Get(a.url);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->position, 0u);
  EXPECT_EQ((*g)->unverified_prefix, 0u);
  EXPECT_EQ((*g)->verified_size, 0u);
  EXPECT_EQ((*g)->compact_range, "");
  EXPECT_EQ((*g)->tree_size, 1000u);
  auto gb = store->Get(b.url);  // not named in the reset: still registered
  ASSERT_TRUE(gb.ok() && gb->has_value());
}

TEST_P(StateStoreContract, RegisterRejectsEmptyUrlAndWritesNothing) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState good = MakeLog(UniqueUrl("good"));
  LogState bad = MakeLog("");
  EXPECT_FALSE(store->Register({good, bad}, false).ok());
  auto g = store->Get(good.url);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_value());
}

TEST_P(StateStoreContract, UpdateTreeHeadNeverGoesBackwards) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 10);
  ASSERT_TRUE(store->Register({a}, false).ok());
  ASSERT_TRUE(store->UpdateTreeHead(a.url, 20, "sth20").ok());
  EXPECT_EQ(MustGet(store.get(), a.url).tree_size, 20u);
  EXPECT_EQ(MustGet(store.get(), a.url).sth, "sth20");
  ASSERT_TRUE(store->UpdateTreeHead(a.url, 15, "sth15").ok());  // ignored, still ok
  EXPECT_EQ(MustGet(store.get(), a.url).tree_size, 20u);
  EXPECT_EQ(MustGet(store.get(), a.url).sth, "sth20");
  auto missing = store->UpdateTreeHead(UniqueUrl("missing"), 5, "x");
  EXPECT_EQ(missing.code(), Code::kNotFound);
}

TEST_P(StateStoreContract, AdvanceIsCompareAndSet) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 1000);
  ASSERT_TRUE(store->Register({a}, false).ok());
  ASSERT_TRUE(store->Advance(a.url, 0, {100, 100, "100:h"}).ok());
  auto lost = store->Advance(a.url, 0, {200, 200, "200:h"});
  EXPECT_EQ(lost.code(), Code::kConflict);
  EXPECT_FALSE(lost.message().empty());
  EXPECT_EQ(MustGet(store.get(), a.url).position, 100u);
  EXPECT_EQ(MustGet(store.get(), a.url).compact_range, "100:h");
  ASSERT_TRUE(store->Advance(a.url, 100, {200, 150, "200:h2"}).ok());
  LogState g = MustGet(store.get(), a.url);
  EXPECT_EQ(g.position, 200u);
  EXPECT_EQ(g.verified_size, 150u);
  EXPECT_EQ(g.compact_range, "200:h2");
  EXPECT_EQ(store->Advance(UniqueUrl("missing"), 0, {1, 0, ""}).code(), Code::kNotFound);
}

// advanced_at: the time of the last Advance, and only of an Advance.
TEST_P(StateStoreContract, AdvanceSetsAdvancedAtAndNothingElseDoes) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 100);
  a.advanced_at = 12345;  // a caller's value is not stored by Register
  ASSERT_TRUE(store->Register({a}, false).ok());
  EXPECT_EQ(MustGet(store.get(), a.url).advanced_at, 0);
  ASSERT_TRUE(store->UpdateTreeHead(a.url, 200, "sth200").ok());
  EXPECT_EQ(MustGet(store.get(), a.url).advanced_at, 0) << "UpdateTreeHead set advanced_at";
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  ASSERT_TRUE(store->Advance(a.url, 0, {50, 50, "50:h"}).ok());
  const int64_t after = static_cast<int64_t>(std::time(nullptr));
  const int64_t at = MustGet(store.get(), a.url).advanced_at;
  EXPECT_GE(at, before);
  EXPECT_LE(at, after);
  // A lost compare-and-set is no advance; neither are tree heads nor a re-registration.
  EXPECT_EQ(store->Advance(a.url, 0, {60, 60, "60:h"}).code(), Code::kConflict);
  ASSERT_TRUE(store->UpdateTreeHead(a.url, 300, "sth300").ok());
  a.advanced_at = at + 1000;
  ASSERT_TRUE(store->Register({a}, false).ok());
  LogState g = MustGet(store.get(), a.url);
  EXPECT_EQ(g.advanced_at, at);
  EXPECT_EQ(g.tree_size, 300u);
  // A reset starts over: never advanced since.
  ASSERT_TRUE(store->Register({a}, true).ok());
  EXPECT_EQ(MustGet(store.get(), a.url).advanced_at, 0);
}

TEST_P(StateStoreContract, LargeValuesRoundTrip) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), (uint64_t{1} << 40) + 7);
  a.sth = std::string(4000, 'x');
  a.description = "Ünïcödé — log";
  ASSERT_TRUE(store->Register({a}, false).ok());
  std::string range = std::to_string((uint64_t{1} << 40) + 3) + ":" + std::string(60 * 44, 'A');
  ASSERT_TRUE(store->Advance(a.url, 0, {(uint64_t{1} << 40) + 3, uint64_t{1} << 39, range}).ok());
  LogState g = MustGet(store.get(), a.url);
  EXPECT_EQ(g.tree_size, (uint64_t{1} << 40) + 7);
  EXPECT_EQ(g.position, (uint64_t{1} << 40) + 3);
  EXPECT_EQ(g.verified_size, uint64_t{1} << 39);
  EXPECT_EQ(g.compact_range, range);
  EXPECT_EQ(g.sth, a.sth);
  EXPECT_EQ(g.description, a.description);
}

// Many threads race to advance one log from the same position: exactly one wins each round.
TEST_P(StateStoreContract, ConcurrentAdvanceHasOneWinner) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  LogState a = MakeLog(UniqueUrl("a"), 1000);
  ASSERT_TRUE(store->Register({a}, false).ok());
  for (uint64_t round = 0; round < 5; ++round) {
    std::atomic<int> wins{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        Status s = store->Advance(a.url, round * 10, {round * 10 + 10, 0, std::to_string(t)});
        if (s.ok())
          ++wins;
        else if (s.code() == Code::kConflict)
          ++conflicts;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(conflicts.load(), 3);
    EXPECT_EQ(MustGet(store.get(), a.url).position, round * 10 + 10);
  }
}

// A temporary folder for sqlite files, removed when the test binary exits.
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("ctdl-store-test-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string TempDbPath() {
  static TempDir dir;
  static std::atomic<int> n{0};
  return (dir.path / ("state-" + std::to_string(n++) + ".db")).string();
}

// ---- host rates ----

std::string UniqueHost(const std::string& suffix) {
  std::string u = UniqueUrl(suffix);  // https://<run>.<test>.test/<suffix>/
  return u.substr(8, u.size() - 9);
}

TEST_P(StateStoreContract, HostRatePutGetListReplace) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string a = UniqueHost("a"), b = UniqueHost("b");
  auto none = store->GetHostRate(a);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  HostRate ra{a, 19.25, 5, true, "Op A"};
  HostRate rb{b, 0.18, 0, false, ""};
  ASSERT_TRUE(store->PutHostRate(ra).ok());
  ASSERT_TRUE(store->PutHostRate(rb).ok());
  auto got = store->GetHostRate(a);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->host, a);
  EXPECT_NEAR((*got)->rps, 19.25, 1e-9);
  EXPECT_NEAR((*got)->burst, 5, 1e-9);
  EXPECT_TRUE((*got)->retry_after);
  EXPECT_EQ((*got)->operator_name, "Op A");
  EXPECT_GT((*got)->updated_at, 1700000000);
  auto gb = store->GetHostRate(b);
  ASSERT_TRUE(gb.ok() && gb->has_value());
  EXPECT_NEAR((*gb)->rps, 0.18, 1e-9);
  EXPECT_FALSE((*gb)->retry_after);
  EXPECT_EQ((*gb)->operator_name, "");
  // Replaced, not merged.
  ASSERT_TRUE(store->PutHostRate({a, 7.5, 2, false, ""}).ok());
  got = store->GetHostRate(a);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_NEAR((*got)->rps, 7.5, 1e-9);
  EXPECT_FALSE((*got)->retry_after);
  EXPECT_EQ((*got)->operator_name, "");
  auto all = store->ListHostRates();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> mine;
  for (const HostRate& h : *all)
    if (h.host == a || h.host == b) mine.push_back(h.host);
  EXPECT_EQ(mine, (std::vector<std::string>{a, b}));  // sorted by host
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].host, (*all)[i].host);
}

TEST_P(StateStoreContract, HostRatesAreNotLogs) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string url = UniqueUrl("log");
  ASSERT_TRUE(store->Register({MakeLog(url, 10)}, false).ok());
  std::string host = UniqueHost("log");
  ASSERT_TRUE(store->PutHostRate({host, 20, 5, true, "Operator"}).ok());
  auto logs = store->List();
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  bool found = false;
  for (const LogState& l : *logs) {
    EXPECT_EQ(l.url.rfind("https://", 0), 0u) << l.url;  // no host rate record among the logs
    found |= l.url == url;
  }
  EXPECT_TRUE(found);
  auto g = store->Get(url);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->tree_size, 10u);
  ASSERT_TRUE(store->Advance(url, 0, {5, 0, "", 0}).ok());
  auto h = store->GetHostRate(host);
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_NEAR((*h)->rps, 20, 1e-9);
}

TEST_P(StateStoreContract, HostRateRejectsNonsense) {
  auto store = GetParam().make();
  if (!store) GTEST_SKIP();
  std::string host = UniqueHost("bad");
  EXPECT_EQ(store->PutHostRate({"", 5, 0, true, ""}).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->PutHostRate({host, 0, 0, true, ""}).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->PutHostRate({host, -1, 0, true, ""}).code(), Code::kInvalidArgument);
  EXPECT_EQ(store->PutHostRate({host, std::nan(""), 0, true, ""}).code(), Code::kInvalidArgument);
  auto g = store->GetHostRate(host);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_value());
}

INSTANTIATE_TEST_SUITE_P(Local, StateStoreContract,
                         ::testing::Values(StoreFactory{"memory", [] { return NewMemoryStateStore(); }},
                                           StoreFactory{"sqlite",
                                                        []() -> std::unique_ptr<StateStore> {
                                                          auto r = OpenSqliteStateStore(TempDbPath());
                                                          EXPECT_TRUE(r.ok()) << r.status().ToString();
                                                          return r.ok() ? std::move(r).value() : nullptr;
                                                        }}),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace ctdl
