#include "sync/verify_step.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>

#include "ct/proof.h"
#include "ct/tree_head.h"

namespace ctdl {
namespace {

// An RFC 6962 log of synthetic leaf hashes that serves get-sth-consistency from the reference
// implementation (ct/merkle.h), optionally lying about one leaf (a fork).
class ProofLog : public HttpClient {
 public:
  explicit ProofLog(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) leaves.push_back(HashLeaf("leaf " + std::to_string(i)));
  }
  HttpResponse Fetch(const HttpRequest& req) override {
    std::lock_guard<std::mutex> l(mu_);
    ++requests;
    HttpResponse r;
    unsigned long long first = 0, second = 0;
    if (std::sscanf(req.url.c_str(), "https://log/ct/v1/get-sth-consistency?first=%llu&second=%llu", &first,
                    &second) == 2 &&
        second <= leaves.size()) {
      std::vector<Hash256> view(leaves.begin(), leaves.begin() + second);
      std::string body = "{\"consistency\":[";
      auto proof = ConsistencyProof(first, view);
      for (size_t i = 0; i < proof.size(); ++i)
        body += (i ? ",\"" : "\"") + Base64Encode(AsView(proof[i])) + "\"";
      r.status = 200;
      r.body = body + "]}";
      return r;
    }
    r.status = 404;
    return r;
  }
  Hash256 Root(uint64_t size) const { return MerkleRoot(std::span<const Hash256>(leaves.data(), size)); }
  CompactRange Range(uint64_t size) const {
    CompactRange c;
    for (uint64_t i = 0; i < size; ++i) c.Append(leaves[i]);
    return c;
  }
  std::vector<Hash256> leaves;
  int requests = 0;

 private:
  std::mutex mu_;
};

LogState Rfc(std::string url = "https://log/") {
  LogState l;
  l.url = std::move(url);
  return l;
}

ProofFetch Quick() { return {.attempts = 1, .first_backoff = std::chrono::milliseconds(1)}; }

// Always 503; counts requests.
class DownLog : public HttpClient {
 public:
  HttpResponse Fetch(const HttpRequest&) override {
    ++requests;
    HttpResponse r;
    r.status = 503;
    return r;
  }
  std::atomic<int> requests{0};
};

TEST(VerifyStep, ProofRetriesWaitOnTheInjectedClock) {
  DownLog http;
  FakeClock clock;
  ProofFetch pf;
  pf.attempts = 4;
  pf.clock = &clock;
  auto r = FetchWithRetries(http, "https://log/x", pf);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(http.requests, 4);
  // Three jittered backoffs from 250 ms (each in [base*2^n/2, base*2^n]), none slept for real.
  EXPECT_GE(clock.TotalSlept(), std::chrono::milliseconds(125 + 250 + 500));
  EXPECT_LE(clock.TotalSlept(), std::chrono::milliseconds(250 + 500 + 1000));
}

TEST(VerifyStep, ASignalEndsProofRetriesAtOnce) {
  DownLog http;
  FakeClock clock;
  std::atomic<int> signals{1};
  // Before the download: a signal stops everything, not even a first try.
  ProofFetch hard;
  hard.stop = &signals;
  hard.clock = &clock;
  EXPECT_EQ(FetchWithRetries(http, "https://log/x", hard).status().code(), Code::kCancelled);
  EXPECT_EQ(http.requests, 0);
  // While committing after a signal: one try, no retries, no waiting (was up to 51 s).
  ProofFetch soft;
  soft.no_retry = &signals;
  soft.clock = &clock;
  EXPECT_EQ(FetchWithRetries(http, "https://log/x", soft).status().code(), Code::kCancelled);
  EXPECT_EQ(http.requests, 1);
  EXPECT_LT(clock.TotalSlept(), std::chrono::milliseconds(100));
}

TEST(VerifyStep, CheckpointOriginIsSubmissionUrlWithoutSchemeAndSlash) {
  LogState l = Rfc("https://mon.example/2026h1/");
  l.log_type = "tiled";
  l.submission_url = "https://log.example/2026h1/";
  EXPECT_EQ(CheckpointOrigin(l), "log.example/2026h1");
  l.submission_url.clear();
  EXPECT_EQ(CheckpointOrigin(l), "mon.example/2026h1");
}

TEST(VerifyStep, ProvePrefixAtEverySize) {
  ProofLog log(70);
  TreeHead head{70, log.Root(70), 0};
  for (uint64_t p : {0, 1, 2, 3, 8, 31, 32, 33, 64, 69, 70}) {
    Status s = ProvePrefix(log, Rfc(), log.Range(p), head, Quick());
    EXPECT_TRUE(s.ok()) << p << ": " << s.ToString();
  }
}

TEST(VerifyStep, ProvePrefixNamesLogSizeAndBothRoots) {
  ProofLog log(50);
  TreeHead head{50, log.Root(50), 0};
  CompactRange bad;
  for (uint64_t i = 0; i < 20; ++i) bad.Append(i == 7 ? HashLeaf("altered") : log.leaves[i]);
  Status s = ProvePrefix(log, Rfc(), bad, head, Quick());
  ASSERT_EQ(s.code(), Code::kVerifyFailed);
  EXPECT_NE(s.message().find("https://log/"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[0, 20)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(RootToString(bad.Root())), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(RootToString(head.root)), std::string::npos) << s.message();
  // At the signed size itself: root comparison, no request.
  CompactRange all;
  for (uint64_t i = 0; i < 50; ++i) all.Append(i == 49 ? HashLeaf("x") : log.leaves[i]);
  int before = log.requests;
  EXPECT_EQ(ProvePrefix(log, Rfc(), all, head, Quick()).code(), Code::kVerifyFailed);
  EXPECT_EQ(log.requests, before);
}

TEST(VerifyStep, ProvePrefixChecksAProofFetchedBeforehand) {
  ProofLog log(70);
  TreeHead head{70, log.Root(70), 0};
  auto proof = ConsistencyProof(33, std::vector<Hash256>(log.leaves.begin(), log.leaves.end()));
  EXPECT_TRUE(ProvePrefix(log, Rfc(), log.Range(33), head, Quick(), nullptr, &proof).ok());
  EXPECT_EQ(log.requests, 0);  // nothing fetched
  // The same proof for another prefix, or a prefix that is not the log's: refused as if fetched.
  EXPECT_EQ(ProvePrefix(log, Rfc(), log.Range(34), head, Quick(), nullptr, &proof).code(),
            Code::kVerifyFailed);
  CompactRange bad;
  for (uint64_t i = 0; i < 33; ++i) bad.Append(i == 5 ? HashLeaf("altered") : log.leaves[i]);
  Status s = ProvePrefix(log, Rfc(), bad, head, Quick(), nullptr, &proof);
  EXPECT_EQ(s.code(), Code::kVerifyFailed);
  EXPECT_NE(s.message().find("[0, 33)"), std::string::npos) << s.message();
  EXPECT_EQ(log.requests, 0);
}

TEST(VerifyStep, ProveExtendsRefusesForksAndShrinking) {
  ProofLog log(40);
  EXPECT_TRUE(ProveExtends(log, Rfc(), 13, log.Root(13), 40, log.Root(40), Quick()).ok());
  EXPECT_TRUE(ProveExtends(log, Rfc(), 40, log.Root(40), 40, log.Root(40), Quick()).ok());
  Status shrink = ProveExtends(log, Rfc(), 40, log.Root(40), 13, log.Root(13), Quick());
  EXPECT_EQ(shrink.code(), Code::kVerifyFailed);
  EXPECT_NE(shrink.message().find("backwards"), std::string::npos) << shrink.message();
  Status same = ProveExtends(log, Rfc(), 40, log.Root(40), 40, log.Root(39), Quick());
  EXPECT_EQ(same.code(), Code::kVerifyFailed);
  EXPECT_NE(same.message().find("forked"), std::string::npos) << same.message();
  Hash256 forked_root = log.Root(13);
  forked_root[0] ^= 1;
  Status fork = ProveExtends(log, Rfc(), 13, forked_root, 40, log.Root(40), Quick());
  EXPECT_EQ(fork.code(), Code::kVerifyFailed);
  EXPECT_NE(fork.message().find(RootToString(forked_root)), std::string::npos) << fork.message();
  // Unreachable proof endpoint: not a verification failure.
  Status down = ProveExtends(log, Rfc("https://other/"), 13, log.Root(13), 40, log.Root(40), Quick());
  EXPECT_EQ(down.code(), Code::kUnavailable) << down.ToString();
}

TEST(VerifyStep, RebuildFromConsistencyProofMatchesHashing) {
  ProofLog log(100);
  TreeHead head{100, log.Root(100), 0};
  for (uint64_t p : {3, 5, 7, 12, 33, 63, 65, 99}) {
    auto r = RebuildCompactRange(log, Rfc(), p, head, Quick());
    ASSERT_TRUE(r.ok()) << p << ": " << r.status().ToString();
    EXPECT_EQ(r->Serialize(), log.Range(p).Serialize()) << p;
  }
  // A log lying about the head: the rebuilt range does not prove.
  TreeHead lie = head;
  lie.root[3] ^= 0x40;
  EXPECT_EQ(RebuildCompactRange(log, Rfc(), 33, lie, Quick()).status().code(), Code::kVerifyFailed);
  EXPECT_EQ(RebuildCompactRange(log, Rfc(), 100, head, Quick()).status().code(), Code::kInvalidArgument);
}

TEST(VerifyStep, DownloadVerifierWithoutKeyChecksNothing) {
  ProofLog log(10);
  LogState state = Rfc();
  state.position = 4;
  std::string sth = fmt::format(
      "{{\"tree_size\":10,\"timestamp\":1,\"sha256_root_hash\":\"{}\",\"tree_head_signature\":\"BAMAAA==\"}}",
      Base64Encode(AsView(log.Root(10))));
  DownloadVerifier v;
  auto started = v.Start(log, state, sth, /*enabled=*/true, Quick());
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_FALSE(v.enabled());
  EXPECT_EQ(started->head.size, 10u);
  auto got = v.Prove(8, log.Range(8).Serialize(), 3, 4);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 3u);  // not raised
  EXPECT_EQ(log.requests, 0);
}

std::string ReadCt(const std::string& name) {
  FILE* f = std::fopen((std::string(CTDL_SOURCE_DIR) + "/testdata/ct/" + name).c_str(), "rb");
  if (!f) return "";
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return out;
}

// Real Argon2025h1 heads and the real consistency proof between them (testdata/ct, see SOURCES.md).
class CannedLog : public HttpClient {
 public:
  std::map<std::string, std::string> replies;
  std::atomic<int> requests{0};
  HttpResponse Fetch(const HttpRequest& req) override {
    ++requests;
    HttpResponse r;
    auto it = replies.find(req.url);
    r.status = it == replies.end() ? 404 : 200;
    if (it != replies.end()) r.body = it->second;
    return r;
  }
};

TEST(VerifyStep, DownloadVerifierStartWithRealHeads) {
  const std::string older = ReadCt("sth/argon2025h1-1425614114.json");
  const std::string newer = ReadCt("sth/argon2025h1-1425633154.json");
  const std::string proof = ReadCt("proofs/argon2025h1-consistency-1425614114-1425633154.json");
  ASSERT_FALSE(older.empty() || newer.empty() || proof.empty());
  CannedLog http;
  http.replies["https://argon/ct/v1/get-sth-consistency?first=1425614114&second=1425633154"] = proof;
  LogState state = Rfc("https://argon/");
  state.key =
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIIKh+WdoqOTblJji4WiH5AltIDUzODyvFKrXCBjw/Rab0/98J4LUh7dOJEY7+66+"
      "yCNSICuqRAX+VPnV8R1Fmg==";
  state.log_id = "TnWjJ1yaEMM4W2zU3z9S6x3w4I4bjWnAsfpksWKaOd8=";
  {  // stored older, served newer: proven
    state.sth = older;
    DownloadVerifier v;
    auto s = v.Start(http, state, newer, true, Quick());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE(v.enabled());
    EXPECT_EQ(s->head.size, 1425633154u);
  }
  {  // stored newer, served older (a lagging frontend): proven the other way, accepted
    state.sth = newer;
    DownloadVerifier v;
    auto s = v.Start(http, state, older, true, Quick());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->head.size, 1425614114u);
  }
  {  // a signature that does not verify
    std::string bad = newer;
    size_t at = bad.find("\"tree_size\":1425633154");
    ASSERT_NE(at, std::string::npos);
    bad.replace(at, 22, "\"tree_size\":1425633155");
    state.sth.clear();
    DownloadVerifier v;
    auto s = v.Start(http, state, bad, true, Quick());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), Code::kVerifyFailed);
    EXPECT_NE(s.status().message().find("1425633155"), std::string::npos) << s.status().message();
  }
  {  // a forked proof
    std::string forked = proof;
    forked[forked.find('/') + 1] ^= 1;
    CannedLog other;
    other.replies = http.replies;
    other.replies.begin()->second = forked;
    state.sth = older;
    DownloadVerifier v;
    EXPECT_EQ(v.Start(other, state, newer, true, Quick()).status().code(), Code::kVerifyFailed);
  }
}

// Prove(position) uses the proof PrefetchProof(position) fetched (one request, not two) and checks it
// as one it fetched itself; a prefetch for another position is not used.
TEST(VerifyStep, DownloadVerifierUsesAndChecksAPrefetchedProof) {
  const std::string older = ReadCt("sth/argon2025h1-1425614114.json");
  const std::string newer = ReadCt("sth/argon2025h1-1425633154.json");
  const std::string proof = ReadCt("proofs/argon2025h1-consistency-1425614114-1425633154.json");
  ASSERT_FALSE(older.empty() || newer.empty() || proof.empty());
  const uint64_t p = 1425614114, n = 1425633154;
  auto head = ParseGetSth(newer);
  auto nodes = ParseGetSthConsistency(proof);
  ASSERT_TRUE(head.ok() && nodes.ok());
  auto range = CompactRangeFromConsistencyProof(p, n, head->root_hash, *nodes);  // [0, p) of the real log
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  CompactRange forged = *range;
  std::vector<Hash256> hashes = forged.hashes();
  hashes.back()[0] ^= 1;
  forged = *CompactRange::FromHashes(p, hashes);

  LogState state = Rfc("https://argon/");
  state.key =
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIIKh+WdoqOTblJji4WiH5AltIDUzODyvFKrXCBjw/Rab0/98J4LUh7dOJEY7+66+"
      "yCNSICuqRAX+VPnV8R1Fmg==";
  state.log_id = "TnWjJ1yaEMM4W2zU3z9S6x3w4I4bjWnAsfpksWKaOd8=";
  const std::string url = fmt::format("https://argon/ct/v1/get-sth-consistency?first={}&second={}", p, n);
  for (bool honest : {true, false}) {
    CannedLog http;
    http.replies[url] = proof;
    DownloadVerifier v;
    ASSERT_TRUE(v.Start(http, state, newer, true, Quick()).ok());
    ASSERT_EQ(http.requests, 0);
    std::atomic<int> before{0}, after_ok{0};
    v.PrefetchProof(p, [&] { ++before; }, [&](bool ok) { after_ok += ok; });
    v.PrefetchProof(p);  // one per verifier
    auto got = v.Prove(p, (honest ? *range : forged).Serialize(), 0, 0);
    EXPECT_EQ(http.requests, 1);  // the prefetch only
    EXPECT_EQ(before, 1);
    EXPECT_EQ(after_ok, 1);
    if (honest) {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, p);
    } else {
      EXPECT_EQ(got.status().code(), Code::kVerifyFailed) << got.status().ToString();
    }
  }
  {  // prefetched for another position (the run stopped early): Prove fetches its own
    CannedLog http;
    http.replies[url] = proof;
    {
      DownloadVerifier v;
      ASSERT_TRUE(v.Start(http, state, newer, true, Quick()).ok());
      v.PrefetchProof(p + 1);  // 404: a failed prefetch
      auto got = v.Prove(p, range->Serialize(), 0, 0);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
    }  // the destructor waits for the prefetch
    EXPECT_EQ(http.requests, 2);
  }
  {  // no prefetch at the head's size (roots compared) or beyond; none without verification
    CannedLog http;
    DownloadVerifier v;
    ASSERT_TRUE(v.Start(http, state, newer, false, Quick()).ok());
    v.PrefetchProof(p);
    DownloadVerifier w;
    ASSERT_TRUE(w.Start(http, state, newer, true, Quick()).ok());
    w.PrefetchProof(n);
    w.PrefetchProof(n + 5);
    EXPECT_EQ(http.requests, 0);
  }
}

}  // namespace
}  // namespace ctdl
