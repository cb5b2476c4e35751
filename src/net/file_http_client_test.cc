// FileHttpClient over a temporary static-ct-api folder: what it serves, what it refuses (paths out of
// the folder, other paths, hosts), the size cap; the router sends only file:// to it.
#include "net/file_http_client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ctdl {
namespace {

namespace fs = std::filesystem;

class FileHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("ctdl-file-client-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "my log";
    fs::create_directories(root_ / "tile/data/x001");
    fs::create_directories(root_ / "tile/0");
    fs::create_directories(root_ / "issuer");
    Write(root_ / "checkpoint", "origin\n42\nroot\n");
    Write(root_ / "tile/data/x001/234", std::string(1000, 'd'));
    fs::create_directories(root_ / "tile/data/x001/234.p");
    Write(root_ / "tile/data/x001/234.p/7", "partial");
    Write(root_ / "tile/0/000", "hashes");
    Write(root_ / "issuer/abcdef", "der");
    Write(base_ / "secret", "outside");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void Write(const fs::path& p, const std::string& data) { std::ofstream(p, std::ios::binary) << data; }
  std::string Url(const std::string& rest) const {
    std::string u = "file://" + root_.string() + "/" + rest;
    size_t sp = u.find(' ');
    return u.replace(sp, 1, "%20");
  }
  HttpResponse Get(const std::string& url, size_t cap = 1 << 20) {
    HttpRequest r;
    r.url = url;
    return NewFileHttpClient(cap)->Fetch(r);
  }

  fs::path base_, root_;
};

TEST_F(FileHttpClientTest, ServesTheStaticCtApiPaths) {
  EXPECT_EQ(Get(Url("checkpoint")).body, "origin\n42\nroot\n");
  HttpResponse tile = Get(Url("tile/data/x001/234"));
  EXPECT_EQ(tile.status, 200);
  EXPECT_EQ(tile.body, std::string(1000, 'd'));
  EXPECT_EQ(*tile.Header("content-length"), "1000");
  EXPECT_EQ(Get(Url("tile/data/x001/234.p/7")).body, "partial");
  EXPECT_EQ(Get(Url("tile/0/000")).body, "hashes");
  EXPECT_EQ(Get(Url("issuer/abcdef")).body, "der");
  std::string local = Url("checkpoint");
  local.insert(7, "localhost");
  EXPECT_EQ(Get(local).status, 200);
}

TEST_F(FileHttpClientTest, MissingFiles) {
  // A partial tile: 404, so the caller falls back to the full tile.
  EXPECT_EQ(Get(Url("tile/data/x001/234.p/8")).status, 404);
  // Anything else: the folder is incomplete, permanently.
  for (const char* rest : {"tile/data/x001/235", "tile/data/x002/000", "tile/5/000", "issuer/00"}) {
    HttpResponse r = Get(Url(rest));
    EXPECT_EQ(r.status, 0) << rest;
    EXPECT_EQ(r.transport, TransportError::kNoSuchFile) << rest;
    EXPECT_NE(r.error.find("no such file in the log folder"), std::string::npos) << r.error;
  }
  EXPECT_EQ(Get("file://" + (base_ / "gone").string() + "/checkpoint").transport, TransportError::kNoSuchFile);
  EXPECT_EQ(Get(Url("tile/data/x001")).transport, TransportError::kBadUrl);  // not a tile path
  fs::create_directories(root_ / "tile/data/002");
  EXPECT_EQ(Get(Url("tile/data/002")).transport, TransportError::kNoSuchFile);  // a folder, not a tile
}

TEST_F(FileHttpClientTest, RefusesPathsOutOfTheFolder) {
  for (const std::string& rest : {std::string("tile/data/../../../secret"), std::string("tile/./data/x001/234"),
                                  std::string("tile/data/x001%2F234"), std::string("ct/v1/get-sth"),
                                  std::string("tile/data/x001/234?x=1"), std::string("secret"),
                                  std::string("tile/data/x01/234"), std::string("issuer/zz")}) {
    HttpResponse r = Get(Url(rest));
    EXPECT_EQ(r.status, 0) << rest;
    EXPECT_EQ(r.transport, TransportError::kBadUrl) << rest;
    EXPECT_TRUE(r.body.empty()) << rest;
  }
  EXPECT_EQ(Get("file://example.com/x/checkpoint").transport, TransportError::kBadUrl);
  EXPECT_EQ(Get("file:relative/checkpoint").transport, TransportError::kBadUrl);
}

TEST_F(FileHttpClientTest, SymlinksMustStayInsideTheFolder) {
  fs::create_symlink(base_ / "secret", root_ / "tile/data/x001/236");
  fs::create_symlink("../../../../secret", root_ / "tile/data/x001/237");
  fs::create_symlink("234", root_ / "tile/data/x001/238");  // inside: fine
  for (const char* name : {"tile/data/x001/236", "tile/data/x001/237"}) {
    HttpResponse r = Get(Url(name));
    EXPECT_EQ(r.status, 0) << name;
    EXPECT_EQ(r.transport, TransportError::kBadUrl) << name;
    EXPECT_NE(r.error.find("outside the log folder"), std::string::npos) << r.error;
    EXPECT_EQ(r.body.find("outside"), std::string::npos);
  }
  EXPECT_EQ(Get(Url("tile/data/x001/238")).body, std::string(1000, 'd'));
  // The folder itself may be a symlink (the user named it).
  fs::create_directory_symlink(root_, base_ / "alias");
  EXPECT_EQ(Get("file://" + (base_ / "alias").string() + "/checkpoint").status, 200);
}

TEST_F(FileHttpClientTest, SizeCap) {
  HttpResponse r = Get(Url("tile/data/x001/234"), 999);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport, TransportError::kTooLarge);
  EXPECT_EQ(Get(Url("tile/data/x001/234"), 1000).status, 200);
}

TEST_F(FileHttpClientTest, UnreadableIs403) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads everything";
  ::chmod((root_ / "checkpoint").c_str(), 0);
  EXPECT_EQ(Get(Url("checkpoint")).status, 403);
}

TEST_F(FileHttpClientTest, OnlyReads) {
  HttpRequest r;
  r.url = Url("checkpoint");
  r.method = "PUT";
  EXPECT_EQ(NewFileHttpClient()->Fetch(r).transport, TransportError::kBadUrl);
  r.method = "HEAD";
  HttpResponse h = NewFileHttpClient()->Fetch(r);
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.body.empty());
}

class Counting : public HttpClient {
 public:
  HttpResponse Fetch(const HttpRequest&) override {
    ++calls;
    HttpResponse r;
    r.status = 204;
    return r;
  }
  HttpStats Stats() const override { return {7, 3}; }
  int calls = 0;
};

TEST_F(FileHttpClientTest, RouterSendsOnlyFileUrlsToTheFiles) {
  auto net = std::make_unique<Counting>();
  Counting* seen = net.get();
  auto c = NewRoutingHttpClient(NewFileHttpClient(), std::move(net));
  HttpRequest r;
  r.url = "http://127.0.0.1:1/checkpoint";
  EXPECT_EQ(c->Fetch(r).status, 204);
  r.url = Url("checkpoint");
  int status = 0;
  c->FetchAsync(r, [&](HttpResponse got) { status = got.status; });
  EXPECT_EQ(status, 200);
  EXPECT_EQ(seen->calls, 1);
  EXPECT_EQ(c->Stats().requests, 7u);  // the network's counters (metrics)
  EXPECT_EQ(c->Stats().connections, 3u);
}

}  // namespace
}  // namespace ctdl
