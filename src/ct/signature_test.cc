#include "ct/signature.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

namespace ctdl {
namespace {

std::string ReadCt(const std::string& name) {
  std::ifstream in(std::string(CTDL_SOURCE_DIR) + "/testdata/ct/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct LogInfo {
  std::string key, log_id, origin;
};

// testdata/ct/logs.json (entries copied from the log lists) or a log.v3.json-style file.
LogInfo Log(const std::string& file, const std::string& name = "") {
  simdjson::dom::parser parser;
  const std::string text = ReadCt(file);
  simdjson::dom::element doc;
  LogInfo info;
  if (parser.parse(text).get(doc)) return info;
  if (!name.empty()) doc = doc[name];
  std::string_view s;
  if (!doc["key"].get_string().get(s)) info.key = s;
  if (!doc["log_id"].get_string().get(s)) info.log_id = s;
  if (!doc["origin"].get_string().get(s)) info.origin = s;
  return info;
}

LogVerifier Verifier(const LogInfo& info) {
  auto v = LogVerifier::Create(info.key, info.log_id);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : LogVerifier();
}

SignedTreeHead Sth(const std::string& file) {
  auto sth = ParseGetSth(ReadCt(file));
  EXPECT_TRUE(sth.ok()) << file << ": " << sth.status().ToString();
  return sth.ok() ? *sth : SignedTreeHead();
}

Checkpoint Cp(const std::string& file) {
  auto cp = ParseCheckpoint(ReadCt(file));
  EXPECT_TRUE(cp.ok()) << file << ": " << cp.status().ToString();
  return cp.ok() ? *cp : Checkpoint();
}

TEST(Signature, TreeHeadSignatureInputLayout) {
  Hash256 root;
  for (int i = 0; i < 32; ++i) root[i] = i;
  const std::string in = TreeHeadSignatureInput(0x0102030405060708, 0x1112131415161718, root);
  ASSERT_EQ(in.size(), 50u);
  EXPECT_EQ(HexEncode(in.substr(0, 18)), "000101020304050607081112131415161718");
  EXPECT_EQ(in.substr(18), AsView(root));
}

TEST(Signature, RealGetSthSignatures) {
  // Google Pilot (2014) and Argon2025h1 (2025), ECDSA P-256.
  const LogVerifier pilot = Verifier(Log("logs.json", "pilot"));
  EXPECT_EQ(pilot.key_type(), LogVerifier::KeyType::kEcdsaP256);
  const SignedTreeHead p = Sth("sth/pilot-3721782.json");
  EXPECT_TRUE(pilot.VerifySth(p).ok()) << pilot.VerifySth(p).ToString();
  const LogVerifier argon = Verifier(Log("logs.json", "argon2025h1"));
  for (const char* f : {"sth/argon2025h1-1425614114.json", "sth/argon2025h1-1425633154.json"}) {
    Status s = argon.VerifySth(Sth(f));
    EXPECT_TRUE(s.ok()) << f << ": " << s.ToString();
  }
  const LogVerifier argon2 = Verifier(Log("logs.json", "argon2025h2"));
  EXPECT_TRUE(argon2.VerifySth(Sth("sth/argon2025h2-1329315675.json")).ok());
  // Wrong key.
  Status wrong = argon.VerifySth(p);
  EXPECT_EQ(wrong.code(), Code::kVerifyFailed);
  EXPECT_NE(wrong.message().find("3721782"), std::string::npos) << wrong.message();
}

TEST(Signature, TamperedGetSthFails) {
  const LogVerifier pilot = Verifier(Log("logs.json", "pilot"));
  const SignedTreeHead good = Sth("sth/pilot-3721782.json");
  auto expect_fail = [&](SignedTreeHead sth, const char* what) {
    Status s = pilot.VerifySth(sth);
    EXPECT_EQ(s.code(), Code::kVerifyFailed) << what;
    EXPECT_FALSE(s.message().empty());
  };
  SignedTreeHead t = good;
  t.tree_size += 1;
  expect_fail(t, "size");
  t = good;
  t.timestamp -= 1;
  expect_fail(t, "timestamp");
  t = good;
  t.root_hash[5] ^= 1;
  expect_fail(t, "root");
  t = good;
  t.signature[t.signature.size() - 3] ^= 1;
  expect_fail(t, "signature byte");
  t = good;
  t.signature[0] = 2;  // sha1
  expect_fail(t, "hash alg");
  t = good;
  t.signature[1] = 1;  // rsa with an EC key
  expect_fail(t, "sig alg");
  t = good;
  t.signature += '\0';
  expect_fail(t, "trailing byte");
  for (size_t n = 0; n < good.signature.size(); n += 7) {
    t = good;
    t.signature.resize(n);
    expect_fail(t, "truncated");
  }
}

TEST(Signature, RealCheckpoints) {
  // Arche2026h1 (witness cosignatures follow) and Sycamore2026h1 (grease.invalid and an Ed25519 line
  // with the same name but another key ID).
  struct Case {
    const char* log;
    const char* file;
    uint64_t timestamp;
  } cases[] = {{"arche2026h1", "checkpoints/arche2026h1.txt", 1768477636059},
               {"sycamore2026h1", "checkpoints/sycamore2026h1.txt", 1769279856830}};
  for (const Case& c : cases) {
    const LogInfo info = Log("logs.json", c.log);
    const LogVerifier v = Verifier(info);
    const Checkpoint cp = Cp(c.file);
    auto ts = v.VerifyCheckpoint(cp, info.origin);
    ASSERT_TRUE(ts.ok()) << c.log << ": " << ts.status().ToString();
    EXPECT_EQ(*ts, c.timestamp);
    EXPECT_EQ(v.VerifyCheckpoint(cp, "other.example.org").status().code(), Code::kVerifyFailed);
    Checkpoint t = cp;
    t.size -= 1;
    EXPECT_EQ(v.VerifyCheckpoint(t).status().code(), Code::kVerifyFailed) << c.log;
    t = cp;
    t.root_hash[0] ^= 1;
    EXPECT_EQ(v.VerifyCheckpoint(t).status().code(), Code::kVerifyFailed) << c.log;
    t = cp;
    t.extensions.push_back("unsigned extension");
    EXPECT_EQ(v.VerifyCheckpoint(t).status().code(), Code::kVerifyFailed) << c.log;
    t = cp;
    t.origin += "x";  // key ID no longer matches: no signature line found
    Status s = v.VerifyCheckpoint(t).status();
    EXPECT_EQ(s.code(), Code::kVerifyFailed);
    EXPECT_NE(s.message().find("no signature line"), std::string::npos) << s.message();
    t = cp;
    for (auto& sig : t.signatures) {
      if (sig.name == cp.origin && sig.signature.size() > 20) sig.signature[8] ^= 1;  // timestamp
    }
    EXPECT_EQ(v.VerifyCheckpoint(t).status().code(), Code::kVerifyFailed) << c.log;
    t = cp;
    for (auto& sig : t.signatures) sig.signature.resize(std::min<size_t>(sig.signature.size(), 6));
    EXPECT_EQ(v.VerifyCheckpoint(t).status().code(), Code::kVerifyFailed) << c.log;
  }
  // The other log's key does not verify either checkpoint.
  const LogVerifier arche = Verifier(Log("logs.json", "arche2026h1"));
  EXPECT_FALSE(arche.VerifyCheckpoint(Cp("checkpoints/sycamore2026h1.txt")).ok());
}

TEST(Signature, SunlightSkylightCheckpointWithLogV3Json) {
  const LogInfo info = Log("checkpoints/rome2026h1.log.v3.json");
  const LogVerifier v = Verifier(info);
  const Checkpoint cp = Cp("checkpoints/rome2026h1.txt");
  auto ts = v.VerifyCheckpoint(cp, "rome2026h1.example.org");
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_EQ(*ts, 1767139200000u);
  // The same signature as an RFC 6962 get-sth.
  SignedTreeHead sth{cp.size, *ts, cp.root_hash, cp.signatures[0].signature.substr(8)};
  EXPECT_TRUE(v.VerifySth(sth).ok());
}

TEST(Signature, RsaLog) {
  const LogInfo info = Log("rsa/log.json");
  const LogVerifier v = Verifier(info);
  EXPECT_EQ(v.key_type(), LogVerifier::KeyType::kRsa);
  SignedTreeHead sth = Sth("rsa/sth.json");
  EXPECT_TRUE(v.VerifySth(sth).ok()) << v.VerifySth(sth).ToString();
  auto ts = v.VerifyCheckpoint(Cp("rsa/checkpoint.txt"), info.origin);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  EXPECT_EQ(*ts, sth.timestamp);
  SignedTreeHead t = sth;
  t.tree_size += 1;
  EXPECT_EQ(v.VerifySth(t).code(), Code::kVerifyFailed);
  t = sth;
  t.signature[1] = 3;  // claims ECDSA with an RSA key
  EXPECT_EQ(v.VerifySth(t).code(), Code::kVerifyFailed);
  t = sth;
  t.signature[100] ^= 0x40;
  EXPECT_EQ(v.VerifySth(t).code(), Code::kVerifyFailed);
  // An ECDSA log's key does not verify it.
  const LogVerifier ec = Verifier(Log("logs.json", "pilot"));
  EXPECT_FALSE(ec.VerifySth(sth).ok());
}

TEST(Signature, BadKeys) {
  const LogInfo pilot = Log("logs.json", "pilot");
  EXPECT_EQ(LogVerifier::Create("not base64!").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(LogVerifier::Create("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(LogVerifier::Create(Base64Encode("junk bytes")).status().code(), Code::kInvalidArgument);
  // log_id must be SHA-256 of the key.
  EXPECT_EQ(LogVerifier::Create(pilot.key, Log("logs.json", "argon2025h1").log_id).status().code(),
            Code::kInvalidArgument);
  auto ok = LogVerifier::Create(pilot.key);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(Base64Encode(AsView(ok->log_id())), pilot.log_id);
  // Trailing bytes after the SPKI.
  auto der = Base64Decode(pilot.key);
  ASSERT_TRUE(der.ok());
  EXPECT_FALSE(LogVerifier::FromSpki(*der + "x").ok());
  // Every truncation of a real key is refused without crashing.
  for (size_t n = 0; n < der->size(); ++n) EXPECT_FALSE(LogVerifier::FromSpki(der->substr(0, n)).ok());
  // A default-constructed verifier verifies nothing.
  EXPECT_FALSE(LogVerifier().VerifySth(Sth("sth/pilot-3721782.json")).ok());
}

TEST(Signature, KeyIdIsBigEndianPrefix) {
  const LogInfo info = Log("logs.json", "arche2026h1");
  auto v = LogVerifier::Create(info.key, info.log_id);
  ASSERT_TRUE(v.ok());
  // R58dNg... in the checkpoint: key ID 0x479f1d36.
  EXPECT_EQ(Rfc6962NoteKeyId(info.origin, v->log_id()), 0x479f1d36u);
}

}  // namespace
}  // namespace ctdl

namespace ctdl {
namespace {

// Random bytes where a log's bytes go: never a crash, never a pass.
TEST(Signature, RandomJunkNeverVerifies) {
  const LogVerifier v = Verifier(Log("logs.json", "pilot"));
  const SignedTreeHead good = Sth("sth/pilot-3721782.json");
  uint64_t x = 0x9e3779b97f4a7c15;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 2000; ++i) {
    SignedTreeHead t = good;
    const size_t len = next() % 90;
    t.signature.resize(len);
    for (auto& c : t.signature) c = static_cast<char>(next());
    if (i % 2 && len >= 4) {  // well-formed header, junk signature
      t.signature[0] = 4;
      t.signature[1] = 3;
      t.signature[2] = static_cast<char>((len - 4) >> 8);
      t.signature[3] = static_cast<char>(len - 4);
    }
    EXPECT_EQ(v.VerifySth(t).code(), Code::kVerifyFailed);
    Checkpoint cp;
    cp.origin = "o";
    cp.size = next();
    cp.signatures.push_back({"o", Rfc6962NoteKeyId("o", v.log_id()), t.signature});
    EXPECT_EQ(v.VerifyCheckpoint(cp).status().code(), Code::kVerifyFailed);
  }
}

}  // namespace
}  // namespace ctdl
