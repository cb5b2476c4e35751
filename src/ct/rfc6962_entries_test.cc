#include "ct/rfc6962_entries.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "ct/merkle.h"

namespace ctdl {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream f(std::string(CTDL_SOURCE_DIR) + "/testdata/rfc6962/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Hex(const Hash256& h) { return HexEncode(AsView(h)); }

// MerkleTreeLeaf for tests.
std::string Leaf(uint16_t entry_type, uint64_t ts, std::string_view cert, std::string_view ext = "",
                 int version = 0, int leaf_type = 0) {
  std::string s;
  AppendUint(&s, 1, version);
  AppendUint(&s, 1, leaf_type);
  AppendUint(&s, 8, ts);
  AppendUint(&s, 2, entry_type);
  if (entry_type == 1) s.append(32, '\x11');
  AppendUint(&s, 3, cert.size());
  s.append(cert);
  AppendUint(&s, 2, ext.size());
  s.append(ext);
  return s;
}

std::string Chain(std::initializer_list<std::string_view> certs) {
  std::string inner;
  for (auto c : certs) {
    AppendUint(&inner, 3, c.size());
    inner.append(c);
  }
  std::string s;
  AppendUint(&s, 3, inner.size());
  return s + inner;
}

TEST(Rfc6962Entries, DecodesRealX509Entries) {
  GetEntriesDecoder d;
  std::vector<LogEntry> out;
  ASSERT_TRUE(d.Decode(ReadTestdata("four_entries.get-entries.json"), 100, 10, &out).ok());
  ASSERT_EQ(out.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i].index, 100 + i);
    EXPECT_EQ(out[i].error, "") << i;
    EXPECT_EQ(out[i].type, EntryType::kX509);
    EXPECT_TRUE(out[i].has_leaf_hash);
  }
  // Values from an independent python decoder (see testdata/SOURCES.md).
  EXPECT_EQ(out[0].timestamp, 1364258252899u);
  EXPECT_EQ(Hex(Sha256(out[0].cert)),
            "3da4491e26c4d9c3d57ff67002de0747d458571ab472a02b49b8e16ae00451a6");
  EXPECT_EQ(Hex(out[0].leaf_hash),
            "c036e5ae4065859ed4aa298e6914b5f0c8eabcdcadfc5736b5ccba9d638d63ce");
  ASSERT_EQ(out[1].chain_sha256.size(), 3u);
  EXPECT_EQ(Hex(out[1].chain_sha256[0]).substr(0, 16), "d4c4c99819f3a5f2");
  EXPECT_EQ(Hex(out[1].chain_sha256[2]).substr(0, 16), "08297a4047dba236");
  EXPECT_EQ(out[3].timestamp, 1364288407156u);
}

TEST(Rfc6962Entries, PrecertDescribesThePreCertificate) {
  GetEntriesDecoder d;
  std::vector<LogEntry> out;
  ASSERT_TRUE(d.Decode(ReadTestdata("precert_x509.get-entries.json"), 0, 10, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].error, "");
  EXPECT_EQ(out[0].type, EntryType::kPrecert);
  EXPECT_EQ(out[0].timestamp, 1422867427528u);
  EXPECT_EQ(Hex(Sha256(out[0].cert)),
            "7b77e4121ded6d982da6ef24103d07da30de83f973f5093474339c709ae27f42");
  EXPECT_EQ(Hex(out[0].leaf_hash),
            "fbdc3e2ec787ef25d3d615509ff36c44930577601973b612cd791340920a3654");
  EXPECT_EQ(out[0].chain_sha256.size(), 3u);
  EXPECT_EQ(out[1].type, EntryType::kX509);

  out.clear();
  ASSERT_TRUE(d.Decode(ReadTestdata("google_precert.get-entries.json"), 7, 1, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error, "");
  EXPECT_EQ(Hex(Sha256(out[0].cert)),
            "cd41f4b18c79e9671460fbd9f6cdd83ab94e393789c6486c5226aa7b7320102d");
}

TEST(Rfc6962Entries, SurplusIgnored) {
  GetEntriesDecoder d;
  std::vector<LogEntry> out;
  uint64_t surplus = 0;
  ASSERT_TRUE(d.Decode(ReadTestdata("four_entries.get-entries.json"), 0, 3, &out, &surplus).ok());
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(surplus, 1u);
}

// Parsed in place when the caller vouches for padding after the body (garbage there must not matter),
// copied otherwise: the same entries either way; bad JSON is still refused in place.
TEST(Rfc6962Entries, InPlaceWithPaddingDecodesTheSame) {
  const std::string json = ReadTestdata("four_entries.get-entries.json");
  std::string padded = json + std::string(GetEntriesDecoder::kJsonPadding, '"');  // hostile padding
  std::string_view body(padded.data(), json.size());
  GetEntriesDecoder d;
  std::vector<LogEntry> copied, in_place;
  ASSERT_TRUE(d.Decode(json, 7, 10, &copied).ok());
  ASSERT_TRUE(d.Decode(body, 7, 10, &in_place, nullptr, GetEntriesDecoder::kJsonPadding).ok());
  ASSERT_EQ(in_place.size(), copied.size());
  for (size_t i = 0; i < copied.size(); ++i) {
    EXPECT_EQ(in_place[i].cert, copied[i].cert);
    EXPECT_EQ(in_place[i].leaf_hash, copied[i].leaf_hash);
    EXPECT_EQ(in_place[i].timestamp, copied[i].timestamp);
  }
  std::string truncated = json.substr(0, json.size() / 2) + std::string(64, '}');
  std::vector<LogEntry> none;
  EXPECT_EQ(d.Decode(std::string_view(truncated.data(), json.size() / 2), 0, 10, &none, nullptr,
                     GetEntriesDecoder::kJsonPadding).code(),
            Code::kCorrupt);
}

TEST(Rfc6962Entries, BadRepliesAreCorrupt) {
  GetEntriesDecoder d;
  std::vector<LogEntry> out;
  for (std::string_view bad : {"", "{", "[]", "{\"entries\":3}", "{\"x\":[]}",
                               "{\"entries\":[{\"leaf_input\":\"AAAA\"}", "null"}) {
    Status s = d.Decode(bad, 0, 10, &out);
    EXPECT_EQ(s.code(), Code::kCorrupt) << bad;
    EXPECT_TRUE(out.empty()) << bad;
  }
  ASSERT_TRUE(d.Decode("{\"entries\":[]}", 0, 10, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(Rfc6962Entries, GarbageEntriesBecomeErrors) {
  std::string good = Leaf(0, 5, "CERT");
  struct Case {
    std::string leaf_b64, extra_b64, want;
  } cases[] = {
      {"!!!!", "", "leaf_input is not valid base64"},
      {Base64Encode(good), "@@", "extra_data is not valid base64"},
      {Base64Encode("\x00"), "", "shorter than a MerkleTreeLeaf header"},
      {Base64Encode(Leaf(0, 5, "C", "", 1)), "", "unknown version 1"},
      {Base64Encode(Leaf(0, 5, "C", "", 0, 3)), "", "unknown leaf type 3"},
      {Base64Encode(Leaf(7, 5, "C")), "", "unknown entry type 7"},
      {Base64Encode(good.substr(0, good.size() - 3)), "", "length exceeds"},
      {Base64Encode(good + "X"), Base64Encode(Chain({})), "1 trailing bytes"},
      {Base64Encode(Leaf(0, 5, "")), Base64Encode(Chain({})), "certificate is empty"},
      {Base64Encode(good), Base64Encode(Chain({"a"}) + "ZZ"), "extra_data has 2 trailing"},
      {Base64Encode(good), Base64Encode("\x00\x00\x09" "abc"), "extra_data certificate chain"},
      {Base64Encode(Leaf(1, 5, "TBS")), Base64Encode("\x00\x00"), "pre_certificate"},
  };
  for (const auto& c : cases) {
    LogEntry e = DecodeRfc6962Entry(c.leaf_b64, c.extra_b64, 9);
    EXPECT_EQ(e.index, 9u);
    EXPECT_NE(e.error.find(c.want), std::string::npos) << "want '" << c.want << "' got '" << e.error << "'";
  }
  // A good x509 entry with a chain and extensions.
  LogEntry e = DecodeRfc6962Entry(Base64Encode(Leaf(0, 77, "CERT", "EX")),
                                  Base64Encode(Chain({"i1", "root"})), 3);
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(e.cert, "CERT");
  EXPECT_EQ(e.timestamp, 77u);
  ASSERT_EQ(e.chain_sha256.size(), 2u);
  EXPECT_EQ(e.chain_sha256[1], Sha256("root"));
  EXPECT_EQ(e.leaf_hash, HashLeaf(Leaf(0, 77, "CERT", "EX")));
  // Without hash_chain the chain is still checked, just not hashed (only --fields chain needs it).
  LogEntry nohash = DecodeRfc6962Entry(Base64Encode(Leaf(0, 77, "CERT", "EX")),
                                       Base64Encode(Chain({"i1", "root"})), 3, /*hash_chain=*/false);
  EXPECT_EQ(nohash.error, "");
  EXPECT_TRUE(nohash.chain_sha256.empty());
  EXPECT_EQ(nohash.leaf_hash, e.leaf_hash);
  nohash = DecodeRfc6962Entry(Base64Encode(Leaf(0, 77, "CERT")), Base64Encode(Chain({"a"}) + "ZZ"), 3,
                              /*hash_chain=*/false);
  EXPECT_NE(nohash.error.find("extra_data has 2 trailing"), std::string::npos) << nohash.error;
  // A precert keeps the TBS when extra_data is broken, but describes the pre_certificate when ok.
  std::string pre = Leaf(1, 1, "TBS");
  std::string extra;
  AppendUint(&extra, 3, 3);
  extra += "PRE";
  extra += Chain({"issuer"});
  e = DecodeRfc6962Entry(Base64Encode(pre), Base64Encode(extra), 0);
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(e.type, EntryType::kPrecert);
  EXPECT_EQ(e.cert, "PRE");
  EXPECT_EQ(e.signed_tbs, "TBS");  // the TBS the log signed, for tbs_sha256
  EXPECT_EQ(e.chain_sha256.size(), 1u);
  e = DecodeRfc6962Entry(Base64Encode(Leaf(0, 77, "CERT")), Base64Encode(Chain({"a"})), 3);
  EXPECT_EQ(e.signed_tbs, "");
}

TEST(Rfc6962Entries, NonObjectEntriesAreErrorsNotFailures) {
  GetEntriesDecoder d;
  std::vector<LogEntry> out;
  std::string good = Base64Encode(Leaf(0, 1, "C"));
  std::string json = "{\"entries\":[1,{\"extra_data\":\"\"},{\"leaf_input\":\"" + good +
                     "\",\"extra_data\":\"" + Base64Encode(Chain({})) + "\"},{\"leaf_input\":\"" +
                     good + "\"}]}";
  ASSERT_TRUE(d.Decode(json, 10, 100, &out).ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_NE(out[0].error, "");
  EXPECT_NE(out[1].error, "");
  EXPECT_EQ(out[2].error, "");
  EXPECT_EQ(out[2].index, 12u);
  EXPECT_NE(out[3].error.find("extra_data"), std::string::npos);
}

void ExpectSameEntry(const LogEntry& a, const LogEntry& b, size_t i) {
  EXPECT_EQ(a.index, b.index) << i;
  EXPECT_EQ(a.timestamp, b.timestamp) << i;
  EXPECT_EQ(a.type, b.type) << i;
  EXPECT_EQ(a.cert, b.cert) << i;
  EXPECT_EQ(a.signed_tbs, b.signed_tbs) << i;
  EXPECT_EQ(a.chain_sha256, b.chain_sha256) << i;
  EXPECT_EQ(a.leaf_hash, b.leaf_hash) << i;
  EXPECT_EQ(a.has_leaf_hash, b.has_leaf_hash) << i;
  EXPECT_EQ(a.error, b.error) << i;
}

std::string Reply(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string json = "{\"entries\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) json += ",";
    json += "{\"leaf_input\":\"" + entries[i].first + "\",\"extra_data\":\"" + entries[i].second + "\"}";
  }
  return json + "]}";
}

// The decode pool reuses its LogEntry objects from reply to reply (EntrySlots): what a reused entry
// holds must be exactly what a fresh one would, whatever the entry before it in that slot was.
TEST(Rfc6962Entries, ReusedSlotsDecodeAsFreshEntries) {
  std::string extra;
  AppendUint(&extra, 3, 3);
  extra += "PRE";
  extra += Chain({"issuer", "root"});
  const std::string precert = Base64Encode(Leaf(1, 1, "TBS-LONGER-THAN-SSO-0123456789")), pre_extra = Base64Encode(extra);
  const std::string x509 = Base64Encode(Leaf(0, 77, "CERT", "EX")), chain = Base64Encode(Chain({"i1"}));
  const std::string first = Reply({{precert, pre_extra}, {precert, pre_extra}, {"!!!!", ""},
                                   {x509, chain}, {precert, pre_extra}, {precert, "@@"}});
  const std::string second = Reply({{x509, chain}, {x509, Base64Encode(Chain({}))},
                                    {Base64Encode(Leaf(0, 5, "")), chain}, {precert, pre_extra}});
  GetEntriesDecoder d;
  std::vector<LogEntry> slots;
  for (const std::string* reply : {&first, &second, &first}) {
    EntrySlots into(&slots, 0);
    ASSERT_TRUE(d.Decode(*reply, 40, 100, &into).ok());
    std::vector<LogEntry> fresh;
    ASSERT_TRUE(d.Decode(*reply, 40, 100, &fresh).ok());
    ASSERT_EQ(into.size(), fresh.size());
    for (size_t i = 0; i < fresh.size(); ++i) ExpectSameEntry(slots[i], fresh[i], i);
  }
  EXPECT_EQ(slots.size(), 6u);  // the longest reply's worth of objects, kept
  EntrySlots after_bad(&slots, 0);
  EXPECT_EQ(d.Decode("{\"entries\":3}", 0, 10, &after_bad).code(), Code::kCorrupt);
  EXPECT_EQ(after_bad.size(), 0u);
}

// Slots with a window (the decode pool's): every entry is handed on exactly once, in order, in windows
// of the given size while the decoder runs; the objects are reused, so no more than a window of them
// exist; a decoder's error cannot take back what was handed on, and leaves the rest untouched.
TEST(Rfc6962Entries, AWindowHandsOnEveryEntryInOrder) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (int i = 0; i < 40; ++i)
    entries.push_back({Base64Encode(Leaf(0, 1000 + i, "CERT-" + std::to_string(i) + "-LONGER-THAN-SSO")),
                       Base64Encode(Chain({"i1"}))});
  const std::string reply = Reply(entries);
  GetEntriesDecoder d;
  std::vector<LogEntry> fresh;
  ASSERT_TRUE(d.Decode(reply, 7, 100, &fresh).ok());
  ASSERT_EQ(fresh.size(), 40u);
  struct Seen {
    std::vector<LogEntry> entries;
    std::vector<size_t> windows;
  } seen;
  auto flush = [](void* arg, const LogEntry* e, size_t n) {
    auto* s = static_cast<Seen*>(arg);
    s->windows.push_back(n);
    for (size_t i = 0; i < n; ++i) s->entries.push_back(e[i]);
  };
  std::vector<LogEntry> slots;
  for (int round = 0; round < 2; ++round) {  // the second round reuses the objects
    seen = Seen();
    EntrySlots into(&slots, 0);
    into.SetWindow(16, flush, &seen);
    ASSERT_TRUE(d.Decode(reply, 7, 100, &into).ok());
    EXPECT_EQ(into.size(), 40u);
    EXPECT_EQ(seen.windows, (std::vector<size_t>{16, 16}));  // the last 8 wait for Flush()
    into.Flush();
    EXPECT_EQ(seen.windows, (std::vector<size_t>{16, 16, 8}));
    ASSERT_EQ(seen.entries.size(), fresh.size());
    for (size_t i = 0; i < fresh.size(); ++i) ExpectSameEntry(seen.entries[i], fresh[i], i);
    EXPECT_EQ(slots.size(), 16u);
  }
  // A reply broken at its 40th entry: 32 were handed on; the error truncates only the rest.
  std::string broken = reply;
  size_t last = broken.rfind("\"leaf_input\":\"");
  ASSERT_NE(last, std::string::npos);
  broken.insert(last + 14, "\\q");
  seen = Seen();
  EntrySlots into(&slots, 0);
  into.SetWindow(16, flush, &seen);
  EXPECT_EQ(d.Decode(broken, 7, 100, &into).code(), Code::kCorrupt);
  EXPECT_EQ(seen.windows, (std::vector<size_t>{16, 16}));
  EXPECT_EQ(into.size(), 32u);
  into.Flush();
  EXPECT_EQ(seen.windows, (std::vector<size_t>{16, 16}));  // nothing left to hand on
}

// The reply is read with simdjson On-Demand (rfc6962_entries.cc): strings are taken where they lie
// unless they hold escapes; these pin what the DOM parser did before.
TEST(Rfc6962Entries, EscapedStringsDecodeLikePlainOnes) {
  const std::string json = ReadTestdata("four_entries.get-entries.json");
  std::string escaped;  // every '/' of the base64 written as "\/", a key with a \u escape
  for (char c : json) {
    if (c == '/') escaped += "\\/";
    else escaped += c;
  }
  ASSERT_NE(escaped, json);
  for (size_t p = 0; (p = escaped.find("\"leaf_input\"", p)) != std::string::npos; p += 6)
    escaped.replace(p, 12, "\"leaf\\u005finput\"");
  GetEntriesDecoder d;
  std::vector<LogEntry> plain, esc;
  ASSERT_TRUE(d.Decode(json, 0, 10, &plain).ok());
  ASSERT_TRUE(d.Decode(escaped, 0, 10, &esc).ok());
  ASSERT_EQ(plain.size(), 4u);
  ASSERT_EQ(esc.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(plain[i].error, "") << i;
    ExpectSameEntry(esc[i], plain[i], i);
  }
}

TEST(Rfc6962Entries, TheFirstOfDuplicateKeysCounts) {
  const std::string good = Base64Encode(Leaf(0, 1, "C")), chain = Base64Encode(Chain({}));
  GetEntriesDecoder d;
  std::vector<LogEntry> out;
  ASSERT_TRUE(d.Decode("{\"entries\":[{\"leaf_input\":\"" + good + "\",\"leaf_input\":\"!!\",\"extra_data\":\"" +
                           chain + "\",\"extra_data\":7}],\"entries\":[1,2,3]}",
                       5, 10, &out)
                  .ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error, "");
  EXPECT_EQ(out[0].cert, "C");
  out.clear();
  ASSERT_TRUE(d.Decode("{\"entries\":[{\"leaf_input\":1,\"leaf_input\":\"" + good + "\",\"extra_data\":\"" +
                           chain + "\"}]}",
                       5, 10, &out)
                  .ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error, "entry has no leaf_input string");
}

// Broken JSON after some entries were decoded: kCorrupt, and the caller's entries are as before.
TEST(Rfc6962Entries, BrokenJsonAfterGoodEntriesLeavesNothing) {
  const std::string e = "{\"leaf_input\":\"" + Base64Encode(Leaf(0, 1, "C")) + "\",\"extra_data\":\"" +
                        Base64Encode(Chain({})) + "\"}";
  GetEntriesDecoder d;
  for (std::string bad : {"{\"entries\":[" + e + "," + e + ",{]}", "{\"entries\":[" + e + "," + e,
                          "{\"entries\":[" + e + "," + e + "],\"x\":[1,2}",
                          "{\"entries\":[" + e + ",{\"leaf_input\":\"AA\\q\"}]}"}) {
    std::vector<LogEntry> out(1);
    out[0].index = 99;
    uint64_t surplus = 7;
    EXPECT_EQ(d.Decode(bad, 0, 10, &out, &surplus).code(), Code::kCorrupt) << bad;
    ASSERT_EQ(out.size(), 1u) << bad;
    EXPECT_EQ(out[0].index, 99u);
    EXPECT_EQ(surplus, 0u);
    std::vector<LogEntry> slots_v(3);
    EntrySlots slots(&slots_v, 1);
    EXPECT_EQ(d.Decode(bad, 0, 10, &slots).code(), Code::kCorrupt) << bad;
    EXPECT_EQ(slots.size(), 1u) << bad;
  }
}

// Hostile replies never crash the in-place parse: bytes replaced (by JSON syntax, backslashes,
// quotes or anything), cut short or duplicated, with hostile padding after the end. Each decode is
// kCorrupt with the caller's entries untouched, or ok with at most max_entries numbered entries.
TEST(Rfc6962Entries, MutatedRepliesAreCorruptOrDecodeNeverCrash) {
  const std::string json = ReadTestdata("four_entries.get-entries.json");
  const std::string specials = "{}[],:\"\\ u0/+=-.e1tfn";
  std::mt19937_64 rng(15);
  GetEntriesDecoder d;
  int corrupt = 0, ok = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string m = json;
    for (int k = 1 + rng() % 3; k > 0; --k) {
      size_t at = rng() % m.size();
      switch (rng() % 4) {
        case 0: m[at] = specials[rng() % specials.size()]; break;
        case 1: m[at] = static_cast<char>(rng()); break;
        case 2: m.resize(at + 1); break;
        default: m.insert(at, m.substr(at, rng() % 40)); break;
      }
    }
    const size_t n = m.size();
    m.append(GetEntriesDecoder::kJsonPadding, (i & 1) ? '"' : '\\');
    std::vector<LogEntry> out(1);
    out[0].index = 1234;
    uint64_t surplus = 0;
    Status s = d.Decode(std::string_view(m.data(), n), 50, 3, &out, &surplus,
                        GetEntriesDecoder::kJsonPadding);
    if (!s.ok()) {
      ++corrupt;
      ASSERT_EQ(s.code(), Code::kCorrupt) << s.message();
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].index, 1234u);
      continue;
    }
    ++ok;
    ASSERT_LE(out.size(), 4u);
    for (size_t j = 1; j < out.size(); ++j) EXPECT_EQ(out[j].index, 50 + j - 1);
  }
  EXPECT_GT(corrupt, 100);  // both outcomes occur
  EXPECT_GT(ok, 100);
}

TEST(LogEntry, ResetIsADefaultEntryThatKeepsItsBuffers) {
  LogEntry e;
  e.index = 5;
  e.timestamp = 6;
  e.type = EntryType::kPrecert;
  e.cert.assign(2000, 'c');
  e.signed_tbs.assign(1500, 't');
  e.chain_sha256.resize(3);
  e.leaf_hash[0] = 1;
  e.has_leaf_hash = true;
  e.error = "an error message longer than the small-string buffer";
  const char* cert_buffer = e.cert.data();
  e.Reset();
  LogEntry fresh;
  ExpectSameEntry(e, fresh, 0);
  EXPECT_EQ(e.cert.data(), cert_buffer);
  EXPECT_GE(e.cert.capacity(), 2000u);
  EXPECT_GE(e.signed_tbs.capacity(), 1500u);
  EXPECT_GE(e.chain_sha256.capacity(), 3u);
}

// The decoder's fast base64 must accept exactly what base/bytes.h accepts.
TEST(Rfc6962Entries, Base64AgreesWithReference) {
  std::string leaf = Leaf(0, 1, "CERT!");
  for (size_t cut = 0; cut <= 3; ++cut) {
    std::string l = Leaf(0, 1, std::string("CERT!").substr(0, 5 - cut));
    LogEntry e = DecodeRfc6962Entry(Base64Encode(l), Base64Encode(Chain({})), 0);
    EXPECT_EQ(e.error, "") << cut;  // every padding length
    EXPECT_EQ(e.leaf_hash, HashLeaf(l));
  }
  for (std::string_view bad : {"A", "AB", "ABC", "A===", "AB=A", "=AAA", "AA=A", "AAA*", "AA\nA",
                               "AAAA=", "AAAA====", "AB==CD==", "ab-_"}) {
    LogEntry e = DecodeRfc6962Entry(bad, "", 0);
    EXPECT_NE(e.error.find("not valid base64"), std::string::npos) << bad;
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ctdl
