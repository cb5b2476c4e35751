#include "x509/schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "x509/record.h"
#include "x509/testing_der.h"

namespace ctdl::x509 {
namespace {

// Top-level keys of one compact JSON record, in order (keys never contain '"').
std::vector<std::string> Keys(const std::string& rec) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_str = false, key_next = true;
  std::string cur;
  for (size_t i = 0; i < rec.size(); ++i) {
    char c = rec[i];
    if (in_str) {
      if (c == '\\') { ++i; continue; }
      if (c == '"') {
        in_str = false;
        if (depth == 1 && key_next) out.push_back(cur), key_next = false;
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '"') in_str = true, cur.clear();
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') --depth;
    else if (c == ',' && depth == 1) key_next = true;
  }
  return out;
}

// Every key a record writes is in the schema, in the schema's order.
void ExpectInSchemaOrder(const std::string& rec) {
  size_t n;
  const SchemaColumn* cols = RecordSchema(&n);
  size_t at = 0;
  for (const std::string& k : Keys(rec)) {
    while (at < n && k != cols[at].key) ++at;
    EXPECT_LT(at, n) << "key " << k << " missing from the schema or out of order in " << rec;
  }
}

TEST(Schema, CoversEveryKeyInOrder) {
  auto all = ParseFields("all");
  ASSERT_TRUE(all.ok());
  Hash256 leaf{};
  std::vector<Hash256> chain(1);
  testing::CertParts p;
  p.not_before = testing::Utc("99999999Z");  // a lint
  std::string bad = testing::Cert(p);
  std::string good = testing::Cert(testing::CertParts{});
  for (const std::string* der : {&good, &bad}) {
    RecordInput in;
    in.der = *der;
    in.leaf_hash = &leaf;
    in.chain_sha256 = &chain;
    in.log_id = "x";
    in.log_url = "https://l/";
    std::string out;
    AppendRecord(in, *all, &out);
    ExpectInSchemaOrder(out);
    if (der == &bad) {
      EXPECT_NE(out.find("\"lint\""), std::string::npos) << out;
    }
  }
  for (const char* error : {"", "decoder said no"}) {
    RecordInput in;
    in.der = "junk";
    in.error = error;
    in.leaf_hash = &leaf;
    std::string out;
    AppendRecord(in, *all, &out);
    ExpectInSchemaOrder(out);
    EXPECT_NE(out.find("\"error\""), std::string::npos) << out;
  }
  size_t n;
  RecordSchema(&n);
  EXPECT_EQ(RecordSchemaJson().find("{\"format\":\"ctdl-record\",\"version\":1,"), 0u);
  EXPECT_EQ(RecordSchemaJson().back(), '\n');
}

}  // namespace
}  // namespace ctdl::x509
