// Fault injection of the memory archive (the contract itself runs in archive_contract_test.cc).
#include "sink/memory_archive.h"

#include <gtest/gtest.h>

namespace ctdl {
namespace {

using Op = MemoryArchive::Op;

TEST(MemoryArchive, FailNextFailsThenRecovers) {
  auto a = NewMemoryArchive();
  a->FailNext(Op::kPut, 2, Unavailable("disk on fire"));
  Status s1 = a->Put("k", "v");
  EXPECT_EQ(s1.code(), Code::kUnavailable);
  EXPECT_EQ(s1.message(), "disk on fire");
  EXPECT_FALSE(a->Put("k", "v").ok());
  EXPECT_TRUE(a->Objects().empty()) << "a failed Put must store nothing";
  EXPECT_TRUE(a->Put("k", "v").ok());
  EXPECT_EQ(a->Objects().at("k"), "v");
  EXPECT_EQ(a->Calls(Op::kPut), 3);
  EXPECT_EQ(a->Calls(Op::kGet), 0);
}

TEST(MemoryArchive, OkStatusBecomesAGenericFault) {
  auto a = NewMemoryArchive();
  a->FailNext(Op::kList, 1, Status::Ok());
  EXPECT_EQ(a->List("").status().code(), Code::kUnavailable);
  EXPECT_TRUE(a->List("").ok());
}

TEST(MemoryArchive, HookSeesKeysAndCanFailSelectively) {
  auto a = NewMemoryArchive();
  std::vector<std::string> seen;
  a->SetHook([&](Op op, const std::string& key) -> Status {
    if (op == Op::kPut) seen.push_back(key);
    if (op == Op::kPut && key.find("bad") != std::string::npos) return IoError("bad key " + key);
    return Status::Ok();
  });
  EXPECT_TRUE(a->Put("good", "1").ok());
  EXPECT_EQ(a->Put("bad", "2").code(), Code::kIo);
  EXPECT_TRUE(a->Get("good").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"good", "bad"}));
  EXPECT_EQ(a->Objects().size(), 1u);
  a->SetHook(nullptr);
  EXPECT_TRUE(a->Put("bad", "2").ok());
}

TEST(MemoryArchive, FaultsApplyToGetAndDelete) {
  auto a = NewMemoryArchive();
  ASSERT_TRUE(a->Put("k", "v").ok());
  a->FailNext(Op::kDelete, 1, IoError("nope"));
  EXPECT_FALSE(a->Delete("k").ok());
  EXPECT_EQ(a->Objects().count("k"), 1u);
  a->FailNext(Op::kGet, 1, Unavailable("later"));
  EXPECT_EQ(a->Get("k").status().code(), Code::kUnavailable);
  EXPECT_EQ(*a->Get("k"), "v");
}

}  // namespace
}  // namespace ctdl
