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
#include <string>

#include "store/state_store.h"

namespace ctdl {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<StateStore>()> make;
};

class StateStoreContract : public ::testing::TestWithParam<StoreFactory> {};

}  // namespace ctdl
