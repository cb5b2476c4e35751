// Dir-specific behaviour beyond the contract: files on disk, temp files, odd folders.
#include "sink/dir_archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ctdl {
namespace {

namespace fs = std::filesystem;

class DirArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ctdl-dir-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, ec);
    fs::remove_all(root_, ec);
  }
  fs::path root_;
};

TEST_F(DirArchiveTest, KeysMapToSubfolders) {
  auto a = OpenDirArchive(root_.string());
  EXPECT_EQ(a->Describe(), "dir:" + root_.string());
  ASSERT_TRUE(a->Put("slug/000000000000-000000000009.jsonl.gz", "data").ok());
  fs::path f = root_ / "slug" / "000000000000-000000000009.jsonl.gz";
  ASSERT_TRUE(fs::is_regular_file(f));
  EXPECT_EQ(fs::file_size(f), 4u);
  // No temp file is left behind.
  int n = 0;
  for (auto& e : fs::directory_iterator(root_ / "slug")) {
    (void)e;
    n++;
  }
  EXPECT_EQ(n, 1);
}

TEST_F(DirArchiveTest, LeftoverTempFilesAreInvisible) {
  auto a = OpenDirArchive(root_.string());
  ASSERT_TRUE(a->Put("s/real", "r").ok());
  std::ofstream(root_ / "s" / ".real.tmp-99-0") << "half";
  auto list = a->List("s/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "s/real");
}

TEST_F(DirArchiveTest, TrailingSlashInRootAndMissingRoot) {
  auto a = OpenDirArchive(root_.string() + "/");
  auto list = a->List("");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(a->Get("x").status().code(), Code::kNotFound);
  ASSERT_TRUE(a->Put("x", "1").ok());
  EXPECT_EQ(*a->Get("x"), "1");
}

TEST_F(DirArchiveTest, KeyUnderAFileIsNotFoundOrIo) {
  auto a = OpenDirArchive(root_.string());
  ASSERT_TRUE(a->Put("file", "1").ok());
  EXPECT_EQ(a->Get("file/child").status().code(), Code::kNotFound);
  Status s = a->Put("file/child", "2");
  EXPECT_EQ(s.code(), Code::kIo) << s.ToString();
  EXPECT_NE(s.message().find("file"), std::string::npos);
  EXPECT_TRUE(a->Delete("file/child").ok());
}

TEST_F(DirArchiveTest, UnwritableFolderIsIoErrorNamingThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  fs::create_directories(root_);
  fs::permissions(root_, fs::perms::owner_read | fs::perms::owner_exec);
  auto a = OpenDirArchive(root_.string());
  Status s = a->Put("sub/x", "1");
  EXPECT_EQ(s.code(), Code::kIo);
  EXPECT_NE(s.message().find(root_.string()), std::string::npos) << s.ToString();
}

TEST_F(DirArchiveTest, RootIsAFile) {
  fs::create_directories(root_);
  std::ofstream(root_ / "plain") << "x";
  auto a = OpenDirArchive((root_ / "plain").string());
  Status s = a->Put("k", "1");
  EXPECT_EQ(s.code(), Code::kIo) << s.ToString();
  EXPECT_NE(s.message().find("not a folder"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace ctdl
