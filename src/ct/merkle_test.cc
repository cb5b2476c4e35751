// CompactRange, the reference Merkle functions and proof verification against an independent oracle
// (tests/lib/merkle_oracle.py, run at test time) and real proofs from Google's Argon logs.
#include "ct/merkle.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "ct/proof.h"

namespace ctdl {
namespace {

Hash256 TestLeaf(uint64_t i) { return HashLeaf("leaf-" + std::to_string(i)); }

std::vector<Hash256> TestLeaves(uint64_t n) {
  std::vector<Hash256> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(TestLeaf(i));
  return out;
}

Hash256 FromHex(std::string_view hex) {
  auto raw = HexDecode(hex);
  Hash256 h{};
  if (raw.ok() && raw->size() == 32) std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

std::vector<Hash256> ProofFromText(const std::string& text) {
  std::vector<Hash256> out;
  if (text == "-") return out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(FromHex(item));
  return out;
}

TEST(Merkle, KnownRoots) {
  // RFC 6962 empty tree and the certificate-transparency reference vectors (leaves "", 0x00, 0x10, ...).
  EXPECT_EQ(HexEncode(AsView(EmptyTreeRoot())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::vector<std::string> inputs = {
      std::string(),
      std::string(1, '\0'),
      "\x10",
      std::string("\x20\x21", 2),
      std::string("\x30\x31", 2),
      std::string("\x40\x41\x42\x43", 4),
      std::string("\x50\x51\x52\x53\x54\x55\x56\x57", 8),
      std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16)};
  const char* roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<Hash256> leaves;
  CompactRange range;
  for (size_t i = 0; i < inputs.size(); ++i) {
    leaves.push_back(HashLeaf(inputs[i]));
    range.Append(leaves.back());
    EXPECT_EQ(HexEncode(AsView(MerkleRoot(leaves))), roots[i]) << "size " << i + 1;
    EXPECT_EQ(HexEncode(AsView(range.Root())), roots[i]) << "size " << i + 1;
  }
}

TEST(Merkle, CompactRangeMatchesReferenceAndSerializes) {
  const auto leaves = TestLeaves(300);
  CompactRange range;
  for (uint64_t n = 0; n <= leaves.size(); ++n) {
    ASSERT_EQ(range.Root(), MerkleRoot(std::span(leaves).first(n))) << "size " << n;
    ASSERT_EQ(range.hashes().size(), static_cast<size_t>(std::popcount(n)));
    auto back = CompactRange::Parse(range.Serialize());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->size(), n);
    ASSERT_EQ(back->Root(), range.Root());
    if (n < leaves.size()) range.Append(leaves[n]);
  }
}

// Chunks of a power-of-two size folded into one tree (doc/distributed.md) give the reference root
// at every chunk boundary and at a partial tail.
TEST(Merkle, ChunksFoldIntoTheWholeTree) {
  const auto leaves = TestLeaves(1000);
  for (uint64_t chunk : {1u, 2u, 16u, 64u, 256u}) {
    CompactRange whole;
    for (uint64_t first = 0; first < leaves.size(); first += chunk) {
      CompactRange local;
      uint64_t end = std::min<uint64_t>(first + chunk, leaves.size());
      for (uint64_t i = first; i < end; ++i) local.Append(leaves[i]);
      if (end - first == chunk) {
        ASSERT_TRUE(whole.AppendSubtree(local.Root(), chunk).ok());
      } else {
        ASSERT_TRUE(whole.AppendRange(local).ok());
      }
      ASSERT_EQ(whole.size(), end);
      std::span<const Hash256> prefix(leaves.data(), end);
      EXPECT_EQ(whole.Root(), MerkleRoot(prefix)) << "chunk " << chunk << " end " << end;
    }
  }
}

TEST(Merkle, FoldingRejectsMisalignedPieces) {
  const auto leaves = TestLeaves(20);
  CompactRange r;
  for (int i = 0; i < 3; ++i) r.Append(leaves[i]);
  EXPECT_FALSE(r.AppendSubtree(leaves[3], 2).ok());  // 3 is not a multiple of 2
  EXPECT_FALSE(r.AppendSubtree(leaves[3], 3).ok());  // not a power of two
  EXPECT_FALSE(r.AppendSubtree(leaves[3], 0).ok());
  CompactRange local;
  for (int i = 0; i < 3; ++i) local.Append(leaves[i]);
  EXPECT_FALSE(r.AppendRange(local).ok());  // 3 is not a multiple of bit_ceil(3) = 4
  EXPECT_EQ(r.size(), 3u);
  EXPECT_TRUE(r.AppendSubtree(leaves[3], 1).ok());
  EXPECT_EQ(r.Root(), MerkleRoot(std::span<const Hash256>(leaves.data(), 4)));
}

TEST(Merkle, PrefixOfACompactRange) {
  const auto leaves = TestLeaves(100);
  CompactRange r;
  for (int i = 0; i < 70; ++i) r.Append(leaves[i]);  // 70 = 64 + 4 + 2
  for (uint64_t n : {0u, 64u, 68u, 70u}) {
    auto p = r.Prefix(n);
    ASSERT_TRUE(p.ok()) << n;
    EXPECT_EQ(p->Root(), MerkleRoot(std::span<const Hash256>(leaves.data(), n))) << n;
  }
  for (uint64_t n : {1u, 4u, 66u, 69u, 71u, 128u}) EXPECT_FALSE(r.Prefix(n).ok()) << n;
}

TEST(Merkle, ReferenceProofsAreTotal) {
  const auto leaves = TestLeaves(5);
  EXPECT_TRUE(InclusionProof(5, leaves).empty());
  EXPECT_TRUE(InclusionProof(~uint64_t{0}, leaves).empty());
  EXPECT_TRUE(ConsistencyProof(0, leaves).empty());
  EXPECT_TRUE(ConsistencyProof(5, leaves).empty());
  EXPECT_TRUE(ConsistencyProof(6, leaves).empty());
  EXPECT_EQ(InclusionProof(0, std::span(leaves).first(1)).size(), 0u);
  EXPECT_EQ(InclusionProof(4, leaves).size(), 1u);  // leaf 4's sibling is MTH(0..3)
}

// Runs the python oracle; empty if python3 is missing (the test then skips, saying so).
std::vector<std::string> OracleVectors(int seed, int count, int max_size) {
  const std::string cmd = "python3 " CTDL_SOURCE_DIR "/tests/lib/merkle_oracle.py vectors " +
                          std::to_string(seed) + " " + std::to_string(count) + " " +
                          std::to_string(max_size) + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::vector<std::string> lines;
  if (!pipe) return lines;
  std::string cur;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) cur.append(buf, n);
  std::stringstream ss(cur);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

TEST(Merkle, AgreesWithPythonOracle) {
  const auto lines = OracleVectors(20261126, 40, 1100);
  if (lines.empty()) GTEST_SKIP() << "python3 tests/lib/merkle_oracle.py did not run";
  const auto leaves = TestLeaves(1101);
  int roots = 0, incl = 0, cons = 0;
  for (const std::string& line : lines) {
    std::stringstream ss(line);
    std::string kind;
    ss >> kind;
    if (kind == "root") {
      uint64_t size;
      std::string root;
      ss >> size >> root;
      CompactRange range;
      for (uint64_t i = 0; i < size; ++i) range.Append(leaves[i]);
      ASSERT_EQ(HexEncode(AsView(range.Root())), root) << line;
      ASSERT_EQ(HexEncode(AsView(MerkleRoot(std::span(leaves).first(size)))), root) << line;
      ++roots;
    } else if (kind == "incl") {
      uint64_t index, size;
      std::string leaf, root, proof_text;
      ss >> index >> size >> leaf >> root >> proof_text;
      const auto proof = ProofFromText(proof_text);
      ASSERT_EQ(InclusionProof(index, std::span(leaves).first(size)), proof) << line;
      ASSERT_TRUE(VerifyInclusion(index, size, FromHex(leaf), proof, FromHex(root)).ok()) << line;
      // Any change must fail: another leaf, index, root, a flipped bit, a dropped or extra hash.
      // (The tree size alone is not always bound by the proof: the signature over (size, root) is.)
      EXPECT_FALSE(VerifyInclusion(index, size, TestLeaf(size + 5), proof, FromHex(root)).ok());
      EXPECT_FALSE(VerifyInclusion(index + 1, size, FromHex(leaf), proof, FromHex(root)).ok());
      EXPECT_FALSE(VerifyInclusion(index, size, FromHex(leaf), proof, TestLeaf(0)).ok() && size > 1);
      if (!proof.empty()) {
        auto bad = proof;
        bad[bad.size() / 2][7] ^= 1;
        EXPECT_FALSE(VerifyInclusion(index, size, FromHex(leaf), bad, FromHex(root)).ok()) << line;
        bad = proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyInclusion(index, size, FromHex(leaf), bad, FromHex(root)).ok()) << line;
      }
      auto longer = proof;
      longer.push_back(TestLeaf(1));
      EXPECT_FALSE(VerifyInclusion(index, size, FromHex(leaf), longer, FromHex(root)).ok()) << line;
      // The left siblings are the compact range of [0, index).
      auto range = CompactRangeFromInclusionProof(index, size, FromHex(leaf), proof, FromHex(root));
      ASSERT_TRUE(range.ok()) << range.status().ToString();
      ASSERT_EQ(range->Root(), MerkleRoot(std::span(leaves).first(index))) << line;
      ++incl;
    } else if (kind == "cons") {
      uint64_t size1, size2;
      std::string root1, root2, proof_text;
      ss >> size1 >> size2 >> root1 >> root2 >> proof_text;
      const auto proof = ProofFromText(proof_text);
      const Hash256 r1 = FromHex(root1), r2 = FromHex(root2);
      ASSERT_EQ(ConsistencyProof(size1, std::span(leaves).first(size2)), proof) << line;
      ASSERT_TRUE(VerifyConsistency(size1, size2, r1, r2, proof).ok()) << line;
      EXPECT_FALSE(VerifyConsistency(size1, size2, r1, TestLeaf(9), proof).ok()) << line;
      if (size1 != size2) {
        EXPECT_FALSE(VerifyConsistency(size1, size2, TestLeaf(9), r2, proof).ok()) << line;
        EXPECT_FALSE(VerifyConsistency(size2, size1, r2, r1, proof).ok()) << line;  // shrinking
        auto bad = proof;
        bad[0][0] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(size1, size2, r1, r2, bad).ok()) << line;
        bad = proof;
        bad.push_back(r1);
        EXPECT_FALSE(VerifyConsistency(size1, size2, r1, r2, bad).ok()) << line;
        bad = proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyConsistency(size1, size2, r1, r2, bad).ok()) << line;
        if (size1 > 1) {
          EXPECT_FALSE(VerifyConsistency(size1 - 1, size2, r1, r2, proof).ok()) << line;
        }
        if (std::has_single_bit(size1)) {
          EXPECT_EQ(CompactRangeFromConsistencyProof(size1, size2, r2, proof).status().code(),
                    Code::kInvalidArgument);
        } else {
          auto range = CompactRangeFromConsistencyProof(size1, size2, r2, proof);
          ASSERT_TRUE(range.ok()) << range.status().ToString() << " " << line;
          ASSERT_EQ(range->size(), size1);
          ASSERT_EQ(range->Root(), r1) << line;
          // Continuing from the recovered range reaches the new root.
          for (uint64_t i = size1; i < size2; ++i) range->Append(leaves[i]);
          ASSERT_EQ(range->Root(), r2) << line;
          EXPECT_FALSE(CompactRangeFromConsistencyProof(size1, size2, r1, proof).ok());
        }
      } else {
        EXPECT_TRUE(proof.empty());
        EXPECT_FALSE(VerifyConsistency(size1, size2, r1, r2, std::vector<Hash256>{r1}).ok());
      }
      ++cons;
    } else {
      FAIL() << "unknown oracle line: " << line;
    }
  }
  // The oracle must have produced a meaningful number of each kind.
  EXPECT_GT(roots, 40);
  EXPECT_GT(incl, 100);
  EXPECT_GT(cons, 100);
}

TEST(Merkle, ConsistencyEdgeCases) {
  const auto leaves = TestLeaves(8);
  const Hash256 r4 = MerkleRoot(std::span(leaves).first(4)), r8 = MerkleRoot(leaves);
  EXPECT_TRUE(VerifyConsistency(0, 8, TestLeaf(3), r8, {}).ok());  // anything extends the empty tree
  EXPECT_FALSE(VerifyConsistency(0, 8, r4, r8, std::vector<Hash256>{r4}).ok());
  EXPECT_TRUE(VerifyConsistency(8, 8, r8, r8, {}).ok());
  EXPECT_FALSE(VerifyConsistency(8, 8, r8, r4, {}).ok());  // fork at equal size
  EXPECT_TRUE(VerifyConsistency(0, 0, EmptyTreeRoot(), EmptyTreeRoot(), {}).ok());
  // size1 a power of two: proof omits root1, which is then checked.
  const auto proof = ConsistencyProof(4, leaves);
  EXPECT_EQ(proof.size(), 1u);
  EXPECT_TRUE(VerifyConsistency(4, 8, r4, r8, proof).ok());
  EXPECT_FALSE(VerifyConsistency(4, 8, r8, r8, proof).ok());
  EXPECT_FALSE(VerifyConsistency(4, 8, r4, r8, {}).ok());
  // Hostile sizes never abort and never pass.
  const uint64_t max = ~uint64_t{0};
  std::vector<Hash256> junk(200, r4);
  for (uint64_t s1 : {uint64_t{1}, uint64_t{3}, max - 1, max}) {
    for (uint64_t s2 : {uint64_t{2}, uint64_t{1} << 63, max}) {
      for (size_t len : {0, 1, 63, 64, 65, 200}) {
        std::span<const Hash256> p(junk.data(), len);
        EXPECT_FALSE(VerifyConsistency(s1, s2, r4, r8, p).ok() && s1 != s2);
        EXPECT_FALSE(VerifyInclusion(s1, s2, r4, p, r8).ok());
        EXPECT_FALSE(CompactRangeFromConsistencyProof(s1, s2, r8, p).ok());
        EXPECT_FALSE(CompactRangeFromInclusionProof(s1, s2, r4, p, r8).ok());
      }
    }
  }
  EXPECT_FALSE(VerifyInclusion(0, 0, r4, {}, r4).ok());
}

std::string ReadCt(const std::string& name) {
  std::ifstream in(std::string(CTDL_SOURCE_DIR) + "/testdata/ct/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Hash256 B64Hash(std::string_view b64) {
  auto raw = Base64Decode(b64);
  Hash256 h{};
  if (raw.ok() && raw->size() == 32) std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

// Real proofs from Google Argon2025h1/h2 (luct testdata; the STHs are in testdata/ct/sth/).
TEST(Merkle, RealArgonConsistencyProof) {
  auto proof = ParseGetSthConsistency(ReadCt("proofs/argon2025h1-consistency-1425614114-1425633154.json"));
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  ASSERT_EQ(proof->size(), 24u);
  const Hash256 r1 = B64Hash("LHtW79pwJohJF5Yn/tyozEroOnho4u3JAGn7WeHSR54=");
  const Hash256 r2 = B64Hash("iH90iBSqmtLLTcCwu74RYyJ0rd3oXtLbXlBNqKcJUXA=");
  EXPECT_TRUE(VerifyConsistency(1425614114, 1425633154, r1, r2, *proof).ok());
  Status bad = VerifyConsistency(1425614114, 1425633154, r2, r2, *proof);
  EXPECT_EQ(bad.code(), Code::kVerifyFailed);
  auto tampered = *proof;
  tampered[3][31] ^= 1;
  bad = VerifyConsistency(1425614114, 1425633154, r1, r2, tampered);
  EXPECT_EQ(bad.code(), Code::kVerifyFailed);
  EXPECT_NE(bad.message().find("1425614114"), std::string::npos) << bad.message();
  // 1425614114 is not a power of two: the proof alone yields the old tree's compact range.
  auto range = CompactRangeFromConsistencyProof(1425614114, 1425633154, r2, *proof);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(range->Root(), r1);
}

TEST(Merkle, RealArgonInclusionProof) {
  auto proof = ParseGetProofByHash(ReadCt("proofs/argon2025h2-proof-by-hash-912557348.json"));
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->leaf_index, 912557348u);
  // The entry's leaf_input, from get-entries.
  const std::string entries = ReadCt("proofs/argon2025h2-entry-912557348.get-entries.json");
  const auto start = entries.find("\"leaf_input\": \"") + 15;
  const auto leaf = Base64Decode(entries.substr(start, entries.find('"', start) - start));
  ASSERT_TRUE(leaf.ok());
  const Hash256 root = B64Hash("NEFqldTJt2+wE/aaaQuXeADdWVV8IGbwhLublI7QaMY=");
  EXPECT_TRUE(VerifyInclusion(912557348, 1329315675, HashLeaf(*leaf), proof->audit_path, root).ok());
  EXPECT_FALSE(VerifyInclusion(912557349, 1329315675, HashLeaf(*leaf), proof->audit_path, root).ok());
  EXPECT_FALSE(VerifyInclusion(912557348, 1329315675, HashLeaf(*leaf + "x"), proof->audit_path, root).ok());
  auto range =
      CompactRangeFromInclusionProof(912557348, 1329315675, HashLeaf(*leaf), proof->audit_path, root);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(range->size(), 912557348u);
}

TEST(Merkle, ProofJsonRejectsJunk) {
  EXPECT_EQ(ParseGetSthConsistency("").status().code(), Code::kCorrupt);
  EXPECT_EQ(ParseGetSthConsistency("{\"consistency\":[\"AAAA\"]}").status().code(), Code::kCorrupt);
  EXPECT_EQ(ParseGetSthConsistency("{\"consistency\":[1]}").status().code(), Code::kCorrupt);
  EXPECT_TRUE(ParseGetSthConsistency("{\"consistency\":[]}").ok());
  EXPECT_EQ(ParseGetProofByHash("{\"leaf_index\":-1,\"audit_path\":[]}").status().code(), Code::kCorrupt);
  EXPECT_EQ(ParseGetEntryAndProof("{\"leaf_input\":\"AA==\",\"audit_path\":[]}").status().code(),
            Code::kCorrupt);
  auto ok = ParseGetEntryAndProof("{\"leaf_input\":\"AA==\",\"extra_data\":\"\",\"audit_path\":[]}");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->leaf_input, std::string(1, '\0'));
}

}  // namespace
}  // namespace ctdl
