// Test-only: the contract every StateStore backend passes (TEST_Ps in state_store_contract_test.cc).
// A backend joins by instantiating the suite in its own *_test.cc in store_test, e.g.
//   INSTANTIATE_TEST_SUITE_P(DynamoDb, StateStoreContract,
//       ::testing::Values(StoreFactory{"dynamodb", [] { return ...; }}),
//       [](const auto& info) { return info.param.name; });
// make() must return a fresh, empty store each call (new file / table / namespace); it may return
// nullptr to skip (e.g. when a local server is unavailable: the tests then GTEST_SKIP).
// Tests use urls unique to each test run, so a shared backend does not leak state between tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <string>

#include "store/state_store.h"

namespace ctdl {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<StateStore>()> make;
};

class StateStoreContract : public ::testing::TestWithParam<StoreFactory> {};

// A url prefix unique to this process and test, so backends that share storage do not collide.
inline std::string UniqueUrl(const std::string& suffix) {
  static const uint64_t run = std::random_device{}();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "https://" + std::to_string(run) + "." + std::string(info->name()) + ".test/" + suffix + "/";
}

inline LogState MakeLog(const std::string& url, uint64_t tree_size = 0) {
  LogState l;
  l.url = url;
  l.description = "Log " + url;
  l.log_type = "rfc6962";
  l.operator_name = "Operator";
  l.log_id = "bG9naWQ=";
  l.key = "a2V5";
  l.mmd = 86400;
  l.list_state = "usable";
  l.tree_size = tree_size;
  l.sth = tree_size ? "{\"tree_size\":" + std::to_string(tree_size) + "}" : "";
  return l;
}

inline LogState MustGet(StateStore* store, const std::string& url) {
  auto r = store->Get(url);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || !r->has_value()) {
    ADD_FAILURE() << url << " not found";
    return {};
  }
  return **r;
}

}  // namespace ctdl
