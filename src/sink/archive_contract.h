// The Archive contract suite: every backend must pass the same tests (archive_contract_test.cc).
// A backend's test file instantiates it:
//   INSTANTIATE_TEST_SUITE_P(Dir, ArchiveContract, ::testing::Values(ArchiveFactory{"dir", make}),
//                            ArchiveFactoryName);
// `make` returns a fresh, empty archive (e.g. a new temp folder or a new S3 prefix), or a Status
// explaining why the backend is unavailable. `skip` (optional) returns a non-empty reason when the
// backend cannot run here (e.g. no S3 endpoint configured); the tests then GTEST_SKIP with it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "sink/archive.h"

namespace ctdl {

struct ArchiveFactory {
  std::string name;
  std::function<Result<std::unique_ptr<Archive>>()> make;
  std::function<std::string()> skip;  // may be empty
  // Objects at least this large take the backend's "large object" path (S3 multipart); the suite
  // puts one object of 2.5x this size. 0: 3 MiB.
  size_t large_object_bytes = 0;
  // False for servers that ignore If-None-Match on PUT (s3rver): concurrent Puts of one key are then
  // not exclusive (ctdl's lease keeps its own writers apart); the race test checks less.
  bool exclusive_create = true;
};

inline void PrintTo(const ArchiveFactory& f, std::ostream* os) { *os << f.name; }

inline std::string ArchiveFactoryName(const ::testing::TestParamInfo<ArchiveFactory>& info) {
  return info.param.name;
}

class ArchiveContract : public ::testing::TestWithParam<ArchiveFactory> {
 protected:
  void SetUp() override {
    if (GetParam().skip) {
      std::string why = GetParam().skip();
      if (!why.empty()) GTEST_SKIP() << why;
    }
    auto made = GetParam().make();
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    archive_ = std::move(made).value();
    ASSERT_NE(archive_, nullptr);
  }
  std::unique_ptr<Archive> archive_;
};

}  // namespace ctdl
