// S3Archive against FakeS3 (contract + faults), and against a real endpoint when CTDL_TEST_S3_URI
// is set (tests/aws_test.py does that with s3rver).
#include "sink/s3_archive.h"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "sink/archive_contract.h"
#include "sink/s3_fake_test.h"

namespace ctdl {
namespace {

HttpResponse Resp(int status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

constexpr char kSecret[] = "fakeSECRETkey/ABCDEFGHIJ0123456789xyz";

// The AWS variables for a FakeS3 (passed in S3Options::env; the process environment is untouched).
std::map<std::string, std::string> FakeEnv() {
  return {{"AWS_ACCESS_KEY_ID", "AKIDFAKE"},
          {"AWS_SECRET_ACCESS_KEY", kSecret},
          {"AWS_REGION", "eu-west-3"},
          {"AWS_ENDPOINT_URL_S3", FakeS3::kEndpoint}};
}

S3Options FastOptions(FakeClock* clock) {
  S3Options o;
  o.env = FakeEnv();
  o.clock = clock;
  o.multipart_threshold = 64 << 10;
  o.part_size = 20 << 10;
  o.list_page_size = 3;  // every List pages
  return o;
}

// --- the contract against FakeS3 ---

struct FakeHolder {
  FakeClock clock;
  FakeS3 s3{"bucket"};
};

// Owns its fake server and forwards everything.
class OwningArchive : public Archive {
 public:
  OwningArchive(std::unique_ptr<FakeHolder> h, std::unique_ptr<Archive> a)
      : h_(std::move(h)), a_(std::move(a)) {}
  Status Put(const std::string& k, std::string_view d) override { return a_->Put(k, d); }
  Result<std::string> Get(const std::string& k) override { return a_->Get(k); }
  Result<std::vector<ObjectInfo>> List(const std::string& p) override { return a_->List(p); }
  Status Delete(const std::string& k) override { return a_->Delete(k); }
  std::string Describe() const override { return a_->Describe(); }

 private:
  std::unique_ptr<FakeHolder> h_;
  std::unique_ptr<Archive> a_;
};

Result<std::unique_ptr<Archive>> MakeFake() {
  auto h = std::make_unique<FakeHolder>();
  TRY_ASSIGN(auto a, OpenS3Archive("s3://bucket/some/prefix", &h->s3, FastOptions(&h->clock)));
  return std::unique_ptr<Archive>(std::make_unique<OwningArchive>(std::move(h), std::move(a)));
}

std::string RealSkip() {
  if (!std::getenv("CTDL_TEST_S3_URI"))
    return "S3 contract skipped: set CTDL_TEST_S3_URI=s3://BUCKET[/PREFIX] plus AWS_ENDPOINT_URL_S3 "
           "and credentials (tests/aws_test.py runs it against s3rver)";
  return "";
}

Result<std::unique_ptr<Archive>> MakeReal() {
  static std::unique_ptr<HttpClient> http = NewCurlHttpClient();
  static int n = 0;
  std::string uri = std::getenv("CTDL_TEST_S3_URI");
  while (!uri.empty() && uri.back() == '/') uri.pop_back();
  uri += (uri.find('/', 5) == std::string::npos ? "/" : "/") +
         fmt::format("contract-{}-{}", ::getpid(), n++);
  S3Options o;
  o.multipart_threshold = 256 << 10;
  o.part_size = 100 << 10;
  o.list_page_size = 4;
  o.max_attempts = 4;
  return OpenS3Archive(uri, http.get(), o);
}

INSTANTIATE_TEST_SUITE_P(S3, ArchiveContract,
                         ::testing::Values(ArchiveFactory{"fake_s3", MakeFake, nullptr, 64 << 10},
                                           ArchiveFactory{"s3", MakeReal, RealSkip, 256 << 10, false}),
                         ArchiveFactoryName);

// --- specifics ---

TEST(S3Uri, Parses) {
  auto a = ParseS3Uri("s3://my-bucket");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->bucket, "my-bucket");
  EXPECT_EQ(a->prefix, "");
  auto b = ParseS3Uri("s3://my-bucket/ct/archive/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->prefix, "ct/archive/");
  EXPECT_EQ(ParseS3Uri("s3://my-bucket/").value().prefix, "");
  for (const char* bad : {"s3://", "s3://A", "s3://UPPER-case", "dir:x", "s3://b/../x", "s3://bb/a//b",
                          "s3://has space"})
    EXPECT_EQ(ParseS3Uri(bad).status().code(), Code::kInvalidArgument) << bad;
}

class S3ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = FakeEnv(); }
  Result<std::unique_ptr<Archive>> Open(std::string uri = "s3://bucket/p") {
    S3Options o = FastOptions(&clock_);
    o.env = env_;
    return OpenS3Archive(uri, &s3_, o);
  }
  std::map<std::string, std::string> env_;
  FakeClock clock_;
  FakeS3 s3_{"bucket"};
};

TEST_F(S3ArchiveTest, PathStyleUrlsWithPrefixAndSigning) {
  auto a = Open();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->Describe(), "s3://bucket/p");
  ASSERT_TRUE((*a)->Put("slug/000000000000-000000000009.jsonl.gz", "abc").ok());
  EXPECT_EQ(s3_.Objects().count("p/slug/000000000000-000000000009.jsonl.gz"), 1u);
  EXPECT_EQ(s3_.log.back(), "HEAD /bucket/p/slug/000000000000-000000000009.jsonl.gz");
}

TEST_F(S3ArchiveTest, VirtualHostedStyleForAwsAndRegion) {
  env_.erase("AWS_ENDPOINT_URL_S3");
  std::vector<HttpRequest> seen;
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    seen.push_back(r);
    return Resp(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  };
  auto a = Open("s3://my-bucket/x");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].url,
            "https://my-bucket.s3.eu-west-3.amazonaws.com/?list-type=2&max-keys=1&prefix=x%2F");
  ASSERT_TRUE(seen[0].aws.has_value());
  EXPECT_EQ(seen[0].aws->region, "eu-west-3");
  EXPECT_EQ(seen[0].aws->service, "s3");
  // Dotted bucket: path style on the regional endpoint (TLS certificates do not cover dots).
  seen.clear();
  auto dotted = Open("s3://my.bucket");
  ASSERT_TRUE(dotted.ok()) << dotted.status().ToString();
  EXPECT_EQ(seen[0].url, "https://s3.eu-west-3.amazonaws.com/my.bucket/?list-type=2&max-keys=1&prefix=");
  // Default region.
  env_.erase("AWS_REGION");
  seen.clear();
  ASSERT_TRUE(Open("s3://nbk").ok());
  EXPECT_EQ(seen[0].aws->region, "us-east-1");
}

TEST_F(S3ArchiveTest, MultipartUploadRetriesOneFailedPartAndLosesNothing) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  int part_calls = 0;
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "PUT" && r.url.find("partNumber=3") != std::string::npos && part_calls++ == 0)
      return Resp(500, "<Error><Code>InternalError</Code></Error>");
    return std::nullopt;
  };
  std::string data(150 << 10, 'x');
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<char>(i * 7919 % 251);
  Status s = (*a)->Put("big", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(part_calls, 2);
  EXPECT_EQ(s3_.Objects().at("p/big"), data);
  EXPECT_EQ(s3_.open_uploads(), 0);
  EXPECT_GT(clock_.TotalSlept().count(), 0) << "a retry must back off";
}

// A server without create-exclusive PUT (s3rver) writes the file in place: right after our PUT the
// confirming HEAD may see another writer's upload of the same key in progress (size 0). Put looks
// again: our bytes are success, other bytes a conflict, an object that never settles unavailable.
TEST_F(S3ArchiveTest, ConfirmWaitsOutAnotherWritersUploadInProgress) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  for (bool settles : {true, false}) {
    SCOPED_TRACE(settles ? "settles" : "never settles");
    std::string key = settles ? "m1" : "m2", data = "manifest bytes";
    int heads_after_put = -1;
    s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.method == "PUT") heads_after_put = 0;
      if (r.method != "HEAD" || heads_after_put < 0) return std::nullopt;
      if (++heads_after_put == 1 || !settles) return Resp(200, "", {{"content-length", "0"}});
      return std::nullopt;
    };
    Status s = (*a)->Put(key, data);
    if (settles) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(heads_after_put, 3);  // size 0, then our size, then the look at the bytes
      EXPECT_EQ(s3_.Objects().at("p/" + key), data);
    } else {
      EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
      EXPECT_NE(s.message().find("size 0"), std::string::npos) << s.ToString();
      EXPECT_EQ(heads_after_put, 4);
    }
    s3_.fault = nullptr;
  }
}

TEST_F(S3ArchiveTest, MultipartGivesUpCleanlyAndAborts) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "PUT" && r.url.find("partNumber=2") != std::string::npos)
      return Resp(503, "<Error><Code>SlowDown</Code></Error>");
    return std::nullopt;
  };
  Status s = (*a)->Put("big", std::string(100 << 10, 'y'));
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("part 2"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("SlowDown"), std::string::npos) << s.ToString();
  EXPECT_TRUE(s3_.Objects().empty()) << "no object may appear after a failed upload";
  EXPECT_EQ(s3_.open_uploads(), 0) << "the upload must be aborted";
}

TEST_F(S3ArchiveTest, CompleteWith200ButErrorBodyIsRetried) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  int completes = 0;
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST" && r.url.find("uploadId=") != std::string::npos && completes++ == 0)
      return Resp(200, "<Error><Code>InternalError</Code></Error>");
    return std::nullopt;
  };
  ASSERT_TRUE((*a)->Put("big", std::string(70 << 10, 'z')).ok());
  EXPECT_EQ(completes, 2);
  EXPECT_EQ(s3_.Objects().at("p/big").size(), size_t{70 << 10});
}

TEST_F(S3ArchiveTest, CompleteThatLandedButLostItsReplyIsConfirmedByHead) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  int completes = 0;
  bool passthrough = false;
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (passthrough) return std::nullopt;
    if (r.method == "POST" && r.url.find("uploadId=") != std::string::npos && completes++ == 0) {
      passthrough = true;
      HttpResponse landed = s3_.Fetch(r);  // the upload completes...
      passthrough = false;
      EXPECT_EQ(landed.status, 200);
      return Resp(0, "");  // ...but the reply is lost
    }
    return std::nullopt;
  };
  std::string data(90 << 10, 'c');
  Status s = (*a)->Put("big", data);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(completes, 2);
  EXPECT_EQ(s3_.Objects().at("p/big"), data);
}

TEST_F(S3ArchiveTest, HeadSizeMismatchFailsThePut) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  int heads = 0;
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    // The first HEAD (does the key exist?) goes through; the confirming one reports a short object.
    if (r.method == "HEAD" && ++heads > 1) return Resp(200, "", {{"content-length", "1"}});
    return std::nullopt;
  };
  Status s = (*a)->Put("k", "four");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("size"), std::string::npos) << s.ToString();
}

TEST_F(S3ArchiveTest, WrongCredentialsSayWhatToFixWithoutSecrets) {
  s3_.fault = [&](const HttpRequest&) -> std::optional<HttpResponse> {
    return Resp(403, "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>");
  };
  auto a = Open();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
  EXPECT_NE(a.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << a.status().ToString();
  EXPECT_NE(a.status().message().find("InvalidAccessKeyId"), std::string::npos);
  EXPECT_EQ(a.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(s3_.requests, 1) << "403 is not retried";
}

TEST_F(S3ArchiveTest, MissingBucketIsNotFoundNamingTheBucket) {
  auto a = Open("s3://other-bucket");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_NE(a.status().message().find("\"other-bucket\" does not exist"), std::string::npos)
      << a.status().ToString();
}

TEST_F(S3ArchiveTest, EndpointDownIsRetriedThenExplained) {
  s3_.fault = [&](const HttpRequest&) -> std::optional<HttpResponse> {
    return [] { HttpResponse r; r.error = "Failed to connect to 127.0.0.1 port 1: Connection refused"; return r; }();
  };
  auto a = Open();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kUnavailable);
  EXPECT_NE(a.status().message().find("AWS_ENDPOINT_URL_S3"), std::string::npos) << a.status().ToString();
  EXPECT_NE(a.status().message().find("Connection refused"), std::string::npos);
  EXPECT_EQ(s3_.requests, 3) << "open gives up after 3 quick attempts";
}

TEST_F(S3ArchiveTest, ThresholdsFromEnvironment) {
  env_["CTDL_S3_MULTIPART_THRESHOLD"] = "1000";
  env_["CTDL_S3_PART_SIZE"] = "400";
  auto a = Open();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE((*a)->Put("k", std::string(1000, 'q')).ok());
  int parts = 0;
  for (const auto& l : s3_.log) parts += l.find("partNumber=") != std::string::npos;
  EXPECT_EQ(parts, 3);
  EXPECT_EQ(s3_.Objects().at("p/k"), std::string(1000, 'q'));
  env_["CTDL_S3_PART_SIZE"] = "lots";
  EXPECT_EQ(Open().status().code(), Code::kInvalidArgument);
}

TEST_F(S3ArchiveTest, MissingCredentialsAndBadEndpoint) {
  env_.erase("AWS_SECRET_ACCESS_KEY");
  auto a = Open();
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  env_ = FakeEnv();
  env_["AWS_ENDPOINT_URL_S3"] = "ftp://user:pw@host";
  auto b = Open();
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("http://"), std::string::npos) << b.status().ToString();
  EXPECT_EQ(b.status().message().find("pw"), std::string::npos) << b.status().ToString();
}

TEST_F(S3ArchiveTest, ListFollowsContinuationTokens) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 10; i++) ASSERT_TRUE((*a)->Put("s/k" + std::to_string(i), "v").ok());
  ASSERT_TRUE((*a)->Put("t/other", "v").ok());
  size_t before = s3_.log.size();
  auto list = (*a)->List("s/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->size(), 10u);
  EXPECT_EQ(s3_.log.size() - before, 4u) << "10 keys at 3 per page = 4 requests";
  EXPECT_EQ((*list)[0].key, "s/k0");
}

TEST_F(S3ArchiveTest, TruncatedListWithoutTokenIsCorrupt) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  s3_.fault = [&](const HttpRequest&) -> std::optional<HttpResponse> {
    return Resp(200, "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  };
  EXPECT_EQ((*a)->List("").status().code(), Code::kCorrupt);
}

TEST_F(S3ArchiveTest, ThrottlingHonoursRetryAfter) {
  auto a = Open();
  ASSERT_TRUE(a.ok());
  int n = 0;
  s3_.fault = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "GET" && n++ < 2) return Resp(503, "<Error><Code>SlowDown</Code></Error>", {{"retry-after", "30"}});
    return std::nullopt;
  };
  auto before = clock_.TotalSlept();
  auto got = (*a)->Get("missing");
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_GE(clock_.TotalSlept() - before, std::chrono::seconds(60));
}

}  // namespace
}  // namespace ctdl
