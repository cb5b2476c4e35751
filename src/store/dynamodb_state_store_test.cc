// DynamoDbStateStore: the StateStore contract against a real endpoint (dynalite in tests/aws_test.py,
// when CTDL_TEST_DYNAMODB_TABLE is set), and request/reply handling against a scripted fake.
#include "store/dynamodb_state_store.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <functional>
#include <mutex>

#include "store/dynamodb_item.h"
#include "store/state_store_contract.h"

namespace ctdl {
namespace {

// --- contract against a real server ---

std::unique_ptr<StateStore> MakeReal() {
  const char* table = std::getenv("CTDL_TEST_DYNAMODB_TABLE");
  if (!table) {
    static bool said = false;
    if (!said)
      std::fprintf(stderr, "DynamoDB contract skipped: set CTDL_TEST_DYNAMODB_TABLE and "
                           "AWS_ENDPOINT_URL_DYNAMODB (tests/aws_test.py runs it against dynalite)\n");
    said = true;
    return nullptr;
  }
  static std::unique_ptr<HttpClient> http = NewCurlHttpClient();
  auto s = OpenDynamoDbStateStore(table, http.get(), true);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(DynamoDb, StateStoreContract,
                         ::testing::Values(StoreFactory{"dynamodb", MakeReal}),
                         [](const auto& info) { return info.param.name; });

// --- scripted fake ---

constexpr char kSecret[] = "ddbSECRET/verySecretValue0123456789";

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
HttpResponse Err(std::string type, std::string msg = "fake", int status = 400) {
  return Reply(status, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#" + type +
                           "\",\"message\":\"" + msg + "\"}");
}

class ScriptedDdb : public HttpClient {
 public:
  std::function<HttpResponse(const std::string& op, const std::string& body)> handler;
  std::vector<std::pair<std::string, std::string>> calls;
  HttpResponse Fetch(const HttpRequest& req) override {
    std::string op;
    for (const auto& [k, v] : req.headers)
      if (k == "X-Amz-Target") op = v.substr(v.find('.') + 1);
    EXPECT_TRUE(req.aws.has_value());
    if (req.aws) {
      EXPECT_EQ(req.aws->service, "dynamodb");
    }
    EXPECT_EQ(req.method, "POST");
    simdjson::dom::parser p;
    simdjson::dom::element e;
    EXPECT_EQ(p.parse(req.body).get(e), simdjson::SUCCESS) << "request is not JSON: " << req.body;
    calls.emplace_back(op, req.body);
    if (handler) return handler(op, req.body);
    return Reply(200, "{}");
  }
  int Count(const std::string& op) const {
    int n = 0;
    for (const auto& c : calls) n += c.first == op;
    return n;
  }
};

const char kActive[] =
    R"({"Table":{"TableName":"t","TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"url","KeyType":"HASH"}]}})";

class DynamoDbFakeTest : public ::testing::Test {
 protected:
  DynamoDbOptions Options() {
    DynamoDbOptions o;
    o.clock = &clock_;
    o.env = std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", "AKID"},
                                               {"AWS_SECRET_ACCESS_KEY", kSecret},
                                               {"AWS_ENDPOINT_URL_DYNAMODB", "http://ddb.test:8000"}};
    return o;
  }
  Result<std::unique_ptr<StateStore>> Open(bool create = true) {
    return OpenDynamoDbStateStore("ct_state", &fake_, create, Options());
  }
  FakeClock clock_;
  ScriptedDdb fake_;
};

TEST(DynamoDbItem, SeedLayoutLoads) {
  auto s = LogStateFromItemJson(
      R"({"url":{"S":"https://ct.example/2025/"},"description":{"S":"Example 2025"},)"
      R"("ct_log_type":{"S":"rfc6962"},"tree_size":{"N":"57004106"},"current_position":{"N":"694880"}})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->url, "https://ct.example/2025/");
  EXPECT_EQ(s->description, "Example 2025");
  EXPECT_EQ(s->log_type, "rfc6962");
  EXPECT_EQ(s->tree_size, 57004106u);
  EXPECT_EQ(s->position, 694880u);
  EXPECT_EQ(s->verified_size, 0u);
  EXPECT_EQ(s->compact_range, "");
}

TEST(DynamoDbItem, NumbersInDecimalFormsAndBadValues) {
  auto s = LogStateFromItemJson(R"({"url":{"S":"u"},"tree_size":{"N":"1.5E+3"},"current_position":{"N":"12.0"}})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->tree_size, 1500u);
  EXPECT_EQ(s->position, 12u);
  EXPECT_EQ(s->log_type, "rfc6962");
  for (const char* bad : {R"({"url":{"S":"u"},"tree_size":{"N":"-1"}})",
                          R"({"url":{"S":"u"},"tree_size":{"N":"1.5"}})",
                          R"({"url":{"S":"u"},"tree_size":{"BOOL":true}})",
                          R"({"url":{"S":"u"},"description":{"N":"3"}})", R"({"description":{"S":"x"}})",
                          R"([1,2])", "not json", ""}) {
    auto r = LogStateFromItemJson(bad);
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << bad;
  }
}

TEST_F(DynamoDbFakeTest, InitCreatesMissingTableAndWaitsUntilActive) {
  int describes = 0;
  fake_.handler = [&](const std::string& op, const std::string& body) {
    if (op == "DescribeTable") {
      if (describes++ == 0) return Err("ResourceNotFoundException", "Requested resource not found");
      if (describes < 4)
        return Reply(200, R"({"Table":{"TableStatus":"CREATING","KeySchema":[{"AttributeName":"url","KeyType":"HASH"}]}})");
      return Reply(200, kActive);
    }
    EXPECT_EQ(op, "CreateTable");
    EXPECT_NE(body.find("\"PAY_PER_REQUEST\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"AttributeName\":\"url\",\"KeyType\":\"HASH\""), std::string::npos) << body;
    return Reply(200, "{}");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(fake_.Count("CreateTable"), 1);
  EXPECT_EQ(describes, 4);
}

TEST_F(DynamoDbFakeTest, MissingTableWithoutCreateSaysHowToCreateIt) {
  fake_.handler = [&](const std::string&, const std::string&) { return Err("ResourceNotFoundException"); };
  auto s = Open(false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kNotFound);
  EXPECT_NE(s.status().message().find("\"ct_state\" does not exist"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().message().find("init"), std::string::npos);
  EXPECT_EQ(fake_.Count("CreateTable"), 0);
}

TEST_F(DynamoDbFakeTest, ForeignKeySchemaIsRefused) {
  fake_.handler = [&](const std::string&, const std::string&) {
    return Reply(200, R"({"Table":{"TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}})");
  };
  auto s = Open();
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("`url`"), std::string::npos) << s.status().ToString();
}

TEST_F(DynamoDbFakeTest, BadCredentialsAndDownEndpointAreExplainedWithoutSecrets) {
  fake_.handler = [&](const std::string&, const std::string&) {
    return Err("UnrecognizedClientException", "The security token included in the request is invalid.");
  };
  auto s = Open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << s.status().ToString();
  EXPECT_EQ(s.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(fake_.calls.size(), 1u) << "credential errors are not retried";

  fake_.calls.clear();
  fake_.handler = [&](const std::string&, const std::string&) {
    HttpResponse r;
    r.error = "Failed to connect to ddb.test port 8000: Connection refused";
    return r;
  };
  auto d = Open();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kUnavailable);
  EXPECT_NE(d.status().message().find("AWS_ENDPOINT_URL_DYNAMODB"), std::string::npos) << d.status().ToString();
  EXPECT_NE(d.status().message().find("http://ddb.test:8000"), std::string::npos);
  EXPECT_EQ(fake_.calls.size(), 3u) << "open gives up after 3 quick attempts";
}

TEST_F(DynamoDbFakeTest, MissingCredentialsAndBadTableName) {
  DynamoDbOptions o = Options();
  o.env->erase("AWS_ACCESS_KEY_ID");
  auto s = OpenDynamoDbStateStore("t_t", &fake_, true, o);
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  auto t = OpenDynamoDbStateStore("a b", &fake_, true, Options());
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(DynamoDbFakeTest, ThrottlingIsRetriedWithBackoff) {
  int updates = 0;
  fake_.handler = [&](const std::string& op, const std::string&) {
    if (op == "DescribeTable") return Reply(200, kActive);
    if (updates++ < 2) return Err("ProvisionedThroughputExceededException", "slow down");
    return Reply(200, "{}");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok());
  Status st = (*s)->Advance("https://l/", 5, {10, 0, ""});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(updates, 3);
  EXPECT_GT(clock_.TotalSlept().count(), 0);
}

TEST_F(DynamoDbFakeTest, AdvanceIsConditionalAndALostRaceIsAClearConflict) {
  std::string update_body;
  fake_.handler = [&](const std::string& op, const std::string& body) {
    if (op == "DescribeTable") return Reply(200, kActive);
    if (op == "UpdateItem") {
      update_body = body;
      return Err("ConditionalCheckFailedException", "The conditional request failed");
    }
    return Reply(200, R"({"Item":{"url":{"S":"https://l/"},"current_position":{"N":"300"}}})");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok());
  Status st = (*s)->Advance("https://l/", 200, {250, 0, "250:abc"});
  EXPECT_EQ(st.code(), Code::kConflict);
  EXPECT_NE(st.message().find("position 300"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("expected 200"), std::string::npos) << st.ToString();
  EXPECT_NE(update_body.find("\"ConditionExpression\":\"#current_position = :v"), std::string::npos)
      << update_body;
  EXPECT_NE(update_body.find("\"compact_range\""), std::string::npos);
  EXPECT_NE(update_body.find("{\"N\":\"200\"}"), std::string::npos);
}

TEST_F(DynamoDbFakeTest, AdvanceWhoseReplyWasLostStillSucceeds) {
  int updates = 0;
  fake_.handler = [&](const std::string& op, const std::string&) {
    if (op == "DescribeTable") return Reply(200, kActive);
    if (op == "UpdateItem") {
      // The first attempt landed but its reply was lost (500); the retry fails the condition.
      if (updates++ == 0) return Err("InternalServerError", "oops", 500);
      return Err("ConditionalCheckFailedException");
    }
    return Reply(200, R"({"Item":{"url":{"S":"https://l/"},"current_position":{"N":"250"},)"
                      R"("verified_size":{"N":"0"},"compact_range":{"S":"250:abc"}}})");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok());
  Status st = (*s)->Advance("https://l/", 200, {250, 0, "250:abc"});
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(DynamoDbFakeTest, AdvanceOfUnknownLogIsNotFound) {
  fake_.handler = [&](const std::string& op, const std::string&) {
    if (op == "DescribeTable") return Reply(200, kActive);
    if (op == "UpdateItem") return Err("ConditionalCheckFailedException");
    return Reply(200, "{}");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Advance("https://nope/", 0, {1, 0, ""}).code(), Code::kNotFound);
  EXPECT_EQ((*s)->UpdateTreeHead("https://nope/", 5, "x").code(), Code::kNotFound);
}

TEST_F(DynamoDbFakeTest, ScanFollowsLastEvaluatedKeyAndSorts) {
  fake_.handler = [&](const std::string& op, const std::string& body) {
    if (op == "DescribeTable") return Reply(200, kActive);
    if (body.find("ExclusiveStartKey") == std::string::npos)
      return Reply(200, R"({"Items":[{"url":{"S":"https://b/"}},{"url":{"S":"https://c/"}}],)"
                        R"("LastEvaluatedKey":{"url":{"S":"https://c/"}}})");
    EXPECT_NE(body.find(R"("ExclusiveStartKey":{"url":{"S":"https://c/"}})"), std::string::npos) << body;
    return Reply(200, R"({"Items":[{"url":{"S":"https://a/"},"current_position":{"N":"7"}}]})");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok());
  auto list = (*s)->List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].url, "https://a/");
  EXPECT_EQ((*list)[0].position, 7u);
  EXPECT_EQ((*list)[2].url, "https://c/");
  EXPECT_EQ(fake_.Count("Scan"), 2);
}

TEST_F(DynamoDbFakeTest, RegisterKeepsPositionsAndNeverWritesEmptyStrings) {
  std::vector<std::string> bodies;
  fake_.handler = [&](const std::string& op, const std::string& body) {
    if (op == "DescribeTable") return Reply(200, kActive);
    bodies.push_back(body);
    return Reply(200, "{}");
  };
  auto s = Open();
  ASSERT_TRUE(s.ok());
  LogState l;
  l.url = "https://l/";
  l.description = "L";
  ASSERT_TRUE((*s)->Register({l}, false).ok());
  ASSERT_EQ(bodies.size(), 1u) << "tree_size 0: one metadata write";
  EXPECT_NE(bodies[0].find("if_not_exists(#current_position"), std::string::npos) << bodies[0];
  EXPECT_EQ(bodies[0].find("{\"S\":\"\"}"), std::string::npos) << "empty strings are removed, not written";
  EXPECT_NE(bodies[0].find("REMOVE"), std::string::npos);
  bodies.clear();
  ASSERT_TRUE((*s)->Register({l}, true).ok());
  EXPECT_EQ(bodies[0].find("if_not_exists(#current_position"), std::string::npos) << bodies[0];
  // Validation happens before any write.
  bodies.clear();
  LogState bad;
  EXPECT_EQ((*s)->Register({l, bad}, false).code(), Code::kInvalidArgument);
  EXPECT_TRUE(bodies.empty());
}

}  // namespace
}  // namespace ctdl
