// The Archive contract (see archive_contract.h), instantiated here for dir and memory; S3 in
// s3_archive_test.cc.
#include "sink/archive_contract.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "sink/dir_archive.h"
#include "sink/memory_archive.h"
#include "sink/segment.h"

namespace ctdl {
namespace {

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_P(ArchiveContract, PutThenGetReturnsSameBytes) {
  std::string data = RandomBytes(1000, 1);
  data[10] = '\0';
  ASSERT_TRUE(archive_->Put("log/a.bin", data).ok());
  auto got = archive_->Get("log/a.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
}

TEST_P(ArchiveContract, EmptyObject) {
  ASSERT_TRUE(archive_->Put("log/empty", "").ok());
  auto got = archive_->Get("log/empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");
  auto list = archive_->List("log/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size, 0u);
}

TEST_P(ArchiveContract, GetMissingIsNotFound) {
  auto got = archive_->Get("log/missing");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kNotFound) << got.status().ToString();
}

TEST_P(ArchiveContract, PutIsIdempotentAndNeverReplaces) {
  ASSERT_TRUE(archive_->Put("k/x", "one").ok());
  ASSERT_TRUE(archive_->Put("k/x", "one").ok());  // same bytes: ok
  EXPECT_EQ(*archive_->Get("k/x"), "one");
  Status other = archive_->Put("k/x", "two!");  // other bytes: refused, the object stays
  EXPECT_EQ(other.code(), Code::kConflict) << other.ToString();
  EXPECT_NE(other.message().find("k/x"), std::string::npos) << other.message();
  EXPECT_EQ(*archive_->Get("k/x"), "one");
  auto list = archive_->List("k/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size, 3u);
  // After a Delete the key can be written again.
  ASSERT_TRUE(archive_->Delete("k/x").ok());
  ASSERT_TRUE(archive_->Put("k/x", "two!").ok());
  EXPECT_EQ(*archive_->Get("k/x"), "two!");
}

// Writers racing for one key: one set of bytes wins, every other writer is told (kConflict), and the
// object is never a mix. Servers that ignore If-None-Match on PUT give no such promise: s3rver writes
// the file in place, so two PUTs racing past the look-first HEAD can leave a mix (seen in CI:
// 1,002 'c' then one 'd'); there only "some writer succeeds" is checked, and ctdl relies on the log's
// lease to keep its own writers apart.
TEST_P(ArchiveContract, ConcurrentPutsOfOneKeyHaveOneWinner) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, conflict{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Status s = archive_->Put("race/x", std::string(1000 + t, static_cast<char>('a' + t)));
      if (s.ok())
        ++ok;
      else if (s.code() == Code::kConflict)
        ++conflict;
    });
  }
  for (auto& th : threads) th.join();
  if (GetParam().exclusive_create) {
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(conflict.load(), 3);
  } else {  // the others may also see the winner's size in their confirming HEAD and fail
    EXPECT_GE(ok.load(), 1);
  }
  auto got = archive_->Get("race/x");
  ASSERT_TRUE(got.ok());
  if (GetParam().exclusive_create) {
    EXPECT_EQ(*got, std::string(got->size(), (*got)[0]));
  }
}

TEST_P(ArchiveContract, ListIsSortedFilteredBySizeAndPrefix) {
  // Segment names sort numerically thanks to zero padding.
  std::vector<std::string> keys = {
      SegmentKey("s1", 200, 299, Compression::kGzip), SegmentKey("s1", 0, 99, Compression::kGzip),
      SegmentKey("s1", 100, 199, Compression::kGzip), SegmentKey("s10", 0, 9, Compression::kZstd),
      "s1x/other", "top"};
  for (size_t i = 0; i < keys.size(); i++)
    ASSERT_TRUE(archive_->Put(keys[i], std::string(i + 1, 'a')).ok()) << keys[i];

  auto s1 = archive_->List("s1/");
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  ASSERT_EQ(s1->size(), 3u);
  EXPECT_EQ((*s1)[0].key, "s1/000000000000-000000000099.jsonl.gz");
  EXPECT_EQ((*s1)[0].size, 2u);
  EXPECT_EQ((*s1)[1].key, "s1/000000000100-000000000199.jsonl.gz");
  EXPECT_EQ((*s1)[2].key, "s1/000000000200-000000000299.jsonl.gz");
  EXPECT_EQ((*s1)[2].size, 1u);

  auto partial = archive_->List("s1/0000000001");
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  ASSERT_EQ(partial->size(), 1u);
  EXPECT_EQ((*partial)[0].key, "s1/000000000100-000000000199.jsonl.gz");

  auto s1any = archive_->List("s1");
  ASSERT_TRUE(s1any.ok()) << s1any.status().ToString();
  EXPECT_EQ(s1any->size(), 5u);  // s1/..., s10/..., s1x/other

  auto all = archive_->List("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), keys.size());
  for (size_t i = 1; i < all->size(); i++) EXPECT_LT((*all)[i - 1].key, (*all)[i].key);

  auto none = archive_->List("nothing-here/");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_P(ArchiveContract, DeleteRemovesAndMissingIsOk) {
  ASSERT_TRUE(archive_->Put("d/a", "1").ok());
  ASSERT_TRUE(archive_->Put("d/b", "2").ok());
  ASSERT_TRUE(archive_->Delete("d/a").ok());
  EXPECT_EQ(archive_->Get("d/a").status().code(), Code::kNotFound);
  EXPECT_EQ(*archive_->Get("d/b"), "2");
  EXPECT_TRUE(archive_->Delete("d/a").ok());
  EXPECT_TRUE(archive_->Delete("never/there").ok());
  auto list = archive_->List("d/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "d/b");
}

TEST_P(ArchiveContract, InvalidKeysAreRejected) {
  std::vector<std::string> bad = {"", "../escape", "a/../b", "/abs", "a//b", "a/./b", "a/", ".hidden",
                          "a/.tmp", std::string("nul\0x", 5), "back\\slash"};
  for (const std::string& key : bad) {
    Status s = archive_->Put(key, "x");
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "key '" << key << "': " << s.ToString();
    EXPECT_EQ(archive_->Get(key).status().code(), Code::kInvalidArgument) << key;
    EXPECT_EQ(archive_->Delete(key).code(), Code::kInvalidArgument) << key;
  }
  EXPECT_EQ(archive_->List("../").status().code(), Code::kInvalidArgument);
  auto all = archive_->List("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->empty());
}

TEST_P(ArchiveContract, LargeObjectRoundTrips) {
  size_t threshold = GetParam().large_object_bytes ? GetParam().large_object_bytes : (3u << 20);
  std::string data = RandomBytes(threshold * 5 / 2 + 123, 7);
  ASSERT_TRUE(archive_->Put("big/segment.bin", data).ok());
  auto got = archive_->Get("big/segment.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data) << "large object differs (size " << got->size() << " vs " << data.size()
                            << ")";
  auto list = archive_->List("big/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].size, data.size());
}

TEST_P(ArchiveContract, ConcurrentPutsAllLand) {
  constexpr int kThreads = 4, kEach = 5;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; i++) {
        std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        if (!archive_->Put(key, key).ok()) failures++;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto list = archive_->List("c/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), size_t{kThreads * kEach});
  for (const auto& o : *list) EXPECT_EQ(*archive_->Get(o.key), o.key);
}

TEST_P(ArchiveContract, SegmentRoundTrip) {
  SegmentBuilder b(1000);
  b.Add(R"({"index":1000})");
  b.Add(R"({"index":1001})");
  auto key = b.Key(LogSlug("https://ct.example.com/2025h2/"), Compression::kGzip);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto bytes = b.Compress(Compression::kGzip);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  ASSERT_TRUE(archive_->Put(*key, *bytes).ok());
  auto list = archive_->List(SegmentPrefix(LogSlug("https://ct.example.com/2025h2")));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  auto name = ParseSegmentKey((*list)[0].key);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->first, 1000u);
  EXPECT_EQ(name->last, 1001u);
  auto got = archive_->Get((*list)[0].key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto text = DecompressSegment(*got, name->compression);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "{\"index\":1000}\n{\"index\":1001}\n");
}

TEST_P(ArchiveContract, DescribeNamesTheBackend) { EXPECT_FALSE(archive_->Describe().empty()); }

// --- instantiations for the local backends ---

// One folder per test process, removed at exit.
struct TempRoot {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("ctdl-archive-test-" + std::to_string(::getpid()));
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string NewTempDir() {
  static TempRoot root;
  static std::atomic<int> n{0};
  // "nested/archive" also checks that missing parents are created.
  return (root.path / std::to_string(n++) / "nested" / "archive").string();
}

INSTANTIATE_TEST_SUITE_P(
    Local, ArchiveContract,
    ::testing::Values(
        ArchiveFactory{"dir", []() -> Result<std::unique_ptr<Archive>> {
                         return OpenDirArchive(NewTempDir());
                       },
                       nullptr, 0},
        ArchiveFactory{"memory",
                       []() -> Result<std::unique_ptr<Archive>> {
                         return std::unique_ptr<Archive>(NewMemoryArchive());
                       },
                       nullptr, 0}),
    ArchiveFactoryName);

}  // namespace
}  // namespace ctdl
