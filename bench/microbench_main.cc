// ctdl_microbench: Google Benchmark micro-benchmarks of the download pipeline's hot stages, one thread.
// Every benchmark reports items/s (entries, records, leaves) and, where meaningful, bytes/s of input.
// Inputs: bench/microbench_data.h (real certificates from testdata). Run from anywhere:
//   build/bench/ctdl_microbench [--benchmark_filter=Record]
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <span>
#include <string>
#include <vector>

#include "base/base64.h"
#include "base/bytes.h"
#include "ct/merkle.h"
#include "ct/rfc6962_entries.h"
#include "ct/tile_leaf.h"
#include "microbench_data.h"
#include "sink/segment.h"
#include "sync/batch.h"
#include "x509/key_check.h"
#include "x509/record.h"

namespace ctdl::bench {
namespace {

// get-entries reply (1024 entries) -> LogEntry: JSON parse + base64 + TLS decode + leaf hash.
void BM_GetEntriesDecode(benchmark::State& state) {
  const Data& d = GetData();
  GetEntriesDecoder dec;
  std::vector<LogEntry> out;  // the LogEntry objects are reused, as in the decode pool
  for (auto _ : state) {
    EntrySlots slots(&out, 0);
    Status s = dec.Decode(d.get_entries_json, 0, kJsonEntries, &slots);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kJsonEntries);
  state.SetBytesProcessed(state.iterations() * d.get_entries_json.size());
}
BENCHMARK(BM_GetEntriesDecode);

// Base64 decode alone (leaf_input strings of the reply): the reference decoder (bytes.h, with error
// messages), and the hot path's scalar table and AVX2 blocks (base/base64.h).
void BM_Base64DecodeLeafInput(benchmark::State& state) {
  const Data& d = GetData();
  size_t bytes = 0;
  for (const auto& b : d.leaf_b64) bytes += b.size();
  int path = static_cast<int>(state.range(0));
  if (path == 2 && !CpuHasAvx2()) return state.SkipWithError("no AVX2 on this CPU");
  state.SetLabel(path == 0 ? "reference" : path == 1 ? "scalar" : "avx2");
  std::string out;
  for (auto _ : state) {
    for (const auto& b : d.leaf_b64) {
      if (path == 0) {
        auto r = Base64Decode(b);
        benchmark::DoNotOptimize(r);
        continue;
      }
      out.clear();
      bool ok = path == 1 ? Base64DecodeAppendScalar(b, &out) : Base64DecodeAppendAvx2(b, &out);
      benchmark::DoNotOptimize(ok);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * d.leaf_b64.size());
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_Base64DecodeLeafInput)->Arg(0)->Arg(1)->Arg(2);

// DER -> JSON record over the tile's 256 real precertificates (seed fields only, as the default).
void RecordBench(benchmark::State& state, const std::vector<std::string>& ders, const char* type,
                 FieldSet fields) {
  std::string out;
  size_t bytes = 0;
  for (const auto& c : ders) bytes += c.size();
  for (auto _ : state) {
    out.clear();
    uint64_t i = 0;
    for (const auto& c : ders) {
      RecordInput in;
      in.der = c;
      in.index = i++;
      in.entry_type = type;
      in.timestamp = 1700000000000;
      AppendRecord(in, fields, &out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * ders.size());
  state.SetBytesProcessed(state.iterations() * bytes);
}

void BM_AppendRecord_TilePrecerts(benchmark::State& state) {
  static const std::vector<std::string> ders = [] {
    std::vector<std::string> v;
    for (const auto& e : GetData().tile_entries) v.push_back(e.cert);
    return v;
  }();
  RecordBench(state, ders, "precert", 0);
}
BENCHMARK(BM_AppendRecord_TilePrecerts);

void BM_AppendRecord_TilePrecertsAllFields(benchmark::State& state) {
  static const std::vector<std::string> ders = [] {
    std::vector<std::string> v;
    for (const auto& e : GetData().tile_entries) v.push_back(e.cert);
    return v;
  }();
  auto all = ParseFields("all");
  RecordBench(state, ders, "precert", all.ok() ? *all : 0);
}
BENCHMARK(BM_AppendRecord_TilePrecertsAllFields);

// The dedup fields alone over the tile's precert entries, as the pipeline passes them (the TBS the
// log signed, the leaf hash, the log's ID and URL).
void BM_AppendRecord_TilePrecertsDedupFields(benchmark::State& state) {
  const auto& entries = GetData().tile_entries;
  auto fields = ParseFields("tbs_sha256,leaf_hash,log_id,log");
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const auto& e : entries) {
      RecordInput in;
      in.der = e.cert;
      in.index = e.index;
      in.entry_type = "precert";
      in.timestamp = e.timestamp;
      in.signed_tbs = e.signed_tbs;
      in.leaf_hash = &e.leaf_hash;
      in.log_id = "TnWjJ1yaEMM4W2zU3z9S6x3w4I4bjWnAsfpksWKaOd8=";
      in.log_url = "https://ct.example/2026h1/";
      AppendRecord(in, fields.ok() ? *fields : 0, &out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * entries.size());
}
BENCHMARK(BM_AppendRecord_TilePrecertsDedupFields);

// The SPKI check of uncompressed P-256 and P-384 points (x509/key_check.h): 64 distinct public keys.
void BM_CheckPublicKeyEc(benchmark::State& state) {
  const int nid = state.range(0) == 256 ? NID_X9_62_prime256v1 : NID_secp384r1;
  const std::string params = state.range(0) == 256 ? std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10)
                                                   : std::string("\x06\x05\x2b\x81\x04\x00\x22", 7);
  const std::string ec_oid = "\x2a\x86\x48\xce\x3d\x02\x01";
  std::vector<std::string> keys;
  EC_GROUP* g = EC_GROUP_new_by_curve_name(nid);
  EC_POINT* pt = EC_POINT_new(g);
  BIGNUM* k = BN_new();
  for (int i = 0; i < 64; ++i) {
    BN_rand_range(k, EC_GROUP_get0_order(g));
    EC_POINT_mul(g, pt, k, nullptr, nullptr, nullptr);
    std::string oct(EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr), '\0');
    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, reinterpret_cast<unsigned char*>(oct.data()),
                       oct.size(), nullptr);
    keys.push_back(std::string(1, '\0') + oct);
  }
  BN_free(k);
  EC_POINT_free(pt);
  EC_GROUP_free(g);
  for (auto _ : state) {
    for (const auto& key : keys) {
      const char* why = x509::CheckPublicKey(ec_oid, params, key);
      if (why) state.SkipWithError(why);
      benchmark::DoNotOptimize(why);
    }
  }
  state.SetItemsProcessed(state.iterations() * keys.size());
}
BENCHMARK(BM_CheckPublicKeyEc)->Arg(256)->Arg(384);

void BM_AppendRecord_PemCerts(benchmark::State& state) {
  RecordBench(state, GetData().pem_certs, "x509", 0);
}
BENCHMARK(BM_AppendRecord_PemCerts);

// NDJSON of 256 distinct records -> compressed segment bytes (default levels: gzip = ISA-L igzip level 1, zstd 3).
// gzip_libdeflate1: the default before 2026-12-03 (an explicit level goes to libdeflate), for A/B.
void BM_CompressSegment(benchmark::State& state, Compression c, int level = 0) {
  const Data& d = GetData();
  size_t out_size = 0;
  for (auto _ : state) {
    auto r = CompressSegment(d.ndjson, c, level);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    else out_size = r->size();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * d.ndjson_records);
  state.SetBytesProcessed(state.iterations() * d.ndjson.size());
  state.SetLabel("ratio " + std::to_string(static_cast<double>(d.ndjson.size()) /
                                           static_cast<double>(out_size ? out_size : 1))
                                .substr(0, 4));
}
BENCHMARK_CAPTURE(BM_CompressSegment, gzip, Compression::kGzip);
BENCHMARK_CAPTURE(BM_CompressSegment, gzip_libdeflate1, Compression::kGzip, 1);
BENCHMARK_CAPTURE(BM_CompressSegment, zstd, Compression::kZstd);

// SegmentBuilder::Add of one record line (the committer's copy into the segment).
void BM_SegmentBuilderAdd(benchmark::State& state) {
  const Data& d = GetData();
  std::vector<std::string_view> lines;
  std::string_view rest = d.ndjson;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl + 1));
    rest.remove_prefix(nl + 1);
  }
  for (auto _ : state) {
    SegmentBuilder b(0);
    for (auto l : lines) b.Add(l);
    benchmark::DoNotOptimize(b.count());
  }
  state.SetItemsProcessed(state.iterations() * lines.size());
  state.SetBytesProcessed(state.iterations() * d.ndjson.size());
}
BENCHMARK(BM_SegmentBuilderAdd);

// Merkle: CompactRange::Append of leaf hashes (the verifier's per-entry work).
void BM_CompactRangeAppend(benchmark::State& state) {
  std::vector<Hash256> leaves(4096);
  for (size_t i = 0; i < leaves.size(); ++i) leaves[i] = Sha256(std::to_string(i));
  CompactRange range;
  for (auto _ : state) {
    for (const auto& h : leaves) range.Append(h);
    benchmark::DoNotOptimize(range.size());
  }
  state.SetItemsProcessed(state.iterations() * leaves.size());
}
BENCHMARK(BM_CompactRangeAppend);

// Merkle: leaf hash of real MerkleTreeLeafs (done by the decoders).
void BM_HashLeaf(benchmark::State& state) {
  const Data& d = GetData();
  std::vector<std::string> leaves;
  size_t bytes = 0;
  for (const auto& b : d.leaf_b64) {
    if (leaves.size() == 256) break;
    leaves.push_back(*Base64Decode(b));
    bytes += leaves.back().size();
  }
  for (auto _ : state) {
    for (const auto& l : leaves) benchmark::DoNotOptimize(HashLeaf(l));
  }
  state.SetItemsProcessed(state.iterations() * leaves.size());
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_HashLeaf);

// Tile leaf decoding: a 256-entry data tile -> LogEntry (framing, leaf_index check, leaf hash, copy).
void BM_DecodeDataTile(benchmark::State& state, bool gz) {
  const Data& d = GetData();
  const std::string& body = gz ? d.tile_gz : d.tile;
  DataTileSpec spec;
  spec.tile = 4;
  std::vector<LogEntry> out;  // the LogEntry objects are reused, as in the decode pool
  for (auto _ : state) {
    EntrySlots slots(&out, 0);
    Status s = DecodeDataTile(body, spec, &slots);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK_CAPTURE(BM_DecodeDataTile, plain, false);
BENCHMARK_CAPTURE(BM_DecodeDataTile, gzip, true);

// One core's ceiling for the RFC 6962 path: decode a 1024-entry reply, write records, hash the range,
// compress (everything ctdl does per entry except HTTP and the archive write).
void BM_PipelinePerEntry(benchmark::State& state) {
  const Data& d = GetData();
  GetEntriesDecoder dec;
  std::vector<LogEntry> slots;  // reused from reply to reply, as in the decode pool
  std::string records;
  CompactRange range;
  for (auto _ : state) {
    records.clear();
    EntrySlots entries(&slots, 0);
    Status s = dec.Decode(d.get_entries_json, 0, kJsonEntries, &entries);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    for (const auto& e : std::span<const LogEntry>(slots.data(), entries.size())) {
      RecordInput in;
      in.der = e.cert;
      in.index = e.index;
      in.entry_type = EntryTypeName(e.type);
      in.timestamp = e.timestamp;
      in.chain_sha256 = &e.chain_sha256;
      AppendRecord(in, 0, &records);
      range.Append(e.leaf_hash);
    }
    auto z = CompressSegment(records, Compression::kGzip);
    benchmark::DoNotOptimize(z);
  }
  state.SetItemsProcessed(state.iterations() * kJsonEntries);
  state.SetBytesProcessed(state.iterations() * d.get_entries_json.size());
}
BENCHMARK(BM_PipelinePerEntry);

// Decoded entries -> Batch (records, leaf hashes, gzip pieces) for a 1024-entry get-entries reply, as
// the decode pool does it: Arg 0 decodes the whole reply, then makes the batch (MakeBatch); Arg N
// makes the records of every N entries as the decoder fills them (EntrySlots window + BatchBuilder),
// while they are still in cache.
void BM_DecodeToBatch(benchmark::State& state) {
  const Data& d = GetData();
  GetEntriesDecoder dec;
  std::vector<LogEntry> slots;
  PiecePlan plan;
  plan.target = kJsonEntries;
  RecordContext context;
  context.pieces = &plan;
  const size_t window = static_cast<size_t>(state.range(0));
  uint64_t packed = 0;
  for (auto _ : state) {
    if (window == 0) {
      EntrySlots entries(&slots, 0);
      Status s = dec.Decode(d.get_entries_json, 0, kJsonEntries, &entries);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      Batch b = MakeBatch(0, std::span<const LogEntry>(slots.data(), entries.size()), context);
      packed += b.packed.size();
      benchmark::DoNotOptimize(b);
    } else {
      BatchBuilder builder(0, context);
      EntrySlots entries(&slots, 0);
      entries.SetWindow(
          window,
          [](void* arg, const LogEntry* e, size_t n) {
            static_cast<BatchBuilder*>(arg)->Add(std::span<const LogEntry>(e, n));
          },
          &builder);
      Status s = dec.Decode(d.get_entries_json, 0, kJsonEntries, &entries);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      entries.Flush();
      Batch b = builder.Finish();
      packed += b.packed.size();
      benchmark::DoNotOptimize(b);
    }
  }
  if (packed != state.iterations() * (kJsonEntries / kPieceEntries)) state.SkipWithError("pieces missing");
  state.SetItemsProcessed(state.iterations() * kJsonEntries);
}
BENCHMARK(BM_DecodeToBatch)->Arg(0)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Arg(256);

}  // namespace
}  // namespace ctdl::bench

BENCHMARK_MAIN();
