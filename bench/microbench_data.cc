#include "microbench_data.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "ct/rfc6962_entries.h"
#include "ct/tile_gzip.h"
#include "ct/tile_leaf.h"
#include "x509/record.h"

namespace ctdl::bench {
namespace {

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "ctdl_microbench: %s\n", msg.c_str());
  std::exit(2);
}

std::string ReadFile(const std::string& rel) {
  std::string path = std::string(CTDL_SOURCE_DIR) + "/" + rel;
  std::ifstream f(path, std::ios::binary);
  if (!f) Die("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every CERTIFICATE block of a PEM file, as DER.
std::vector<std::string> PemCerts(const std::string& pem) {
  std::vector<std::string> out;
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  size_t pos = 0;
  while ((pos = pem.find(begin, pos)) != std::string::npos) {
    size_t stop = pem.find(end, pos);
    if (stop == std::string::npos) break;
    std::string b64;
    for (char c : pem.substr(pos + begin.size(), stop - pos - begin.size()))
      if (c != '\n' && c != '\r' && c != ' ') b64.push_back(c);
    auto der = Base64Decode(b64);
    if (der.ok()) out.push_back(*der);
    pos = stop + end.size();
  }
  return out;
}

void AppendU24(std::string* out, size_t n) { AppendUint(out, 3, n); }

Data Build() {
  Data d;
  d.tile_gz = ReadFile("testdata/ct/tiles/tesseract-example-tile.gz");
  if (Status s = GunzipTile(d.tile_gz, &d.tile); !s.ok()) Die("tile: " + s.ToString());
  DataTileSpec spec;
  spec.tile = 4;
  if (Status s = DecodeDataTile(d.tile, spec, &d.tile_entries); !s.ok())
    Die("tile: " + s.ToString());
  for (const char* f : {"testdata/certs/luct/geomys-org.pem", "testdata/certs/luct/google-cert.pem",
                        "testdata/certs/luct/google-chain.pem", "testdata/certs/luct/google-precert.pem",
                        "testdata/certs/sunlight/example_test_navigli2025h2_leaf.pem"})
    for (auto& c : PemCerts(ReadFile(f))) d.pem_certs.push_back(std::move(c));
  if (d.pem_certs.empty()) Die("no PEM certificates");
  const std::string& chain_cert = d.pem_certs.back();

  // get-entries reply: tile entries (real precerts) cycled to kJsonEntries.
  std::string_view rest = d.tile;
  std::vector<std::pair<std::string, std::string>> leaves;  // leaf_input, extra_data
  while (!rest.empty()) {
    TileLeafView v;
    if (Status s = ReadTileLeaf(&rest, &v); !s.ok()) Die("tile leaf: " + s.ToString());
    std::string leaf("\0\0", 2);
    leaf.append(v.timestamped_entry);
    std::string extra;
    AppendU24(&extra, v.pre_certificate.size());
    extra.append(v.pre_certificate);
    AppendU24(&extra, 3 + chain_cert.size());
    AppendU24(&extra, chain_cert.size());
    extra.append(chain_cert);
    leaves.emplace_back(std::move(leaf), std::move(extra));
  }
  d.get_entries_json = "{\"entries\":[";
  for (int i = 0; i < kJsonEntries; ++i) {
    const auto& [leaf, extra] = leaves[i % leaves.size()];
    if (i) d.get_entries_json += ",";
    d.leaf_b64.push_back(Base64Encode(leaf));
    d.get_entries_json += "{\"leaf_input\":\"" + d.leaf_b64.back() + "\",\"extra_data\":\"" +
                          Base64Encode(extra) + "\"}";
  }
  d.get_entries_json += "]}";

  GetEntriesDecoder dec;
  std::vector<LogEntry> entries;
  if (Status s = dec.Decode(d.get_entries_json, 0, kJsonEntries, &entries); !s.ok())
    Die("get-entries: " + s.ToString());
  for (const auto& e : entries) {
    if (!e.error.empty()) Die("entry " + std::to_string(e.index) + ": " + e.error);
    if (e.index >= leaves.size()) continue;  // distinct records only (repeats flatter compression)
    RecordInput in;
    in.der = e.cert;
    in.index = e.index;
    in.entry_type = EntryTypeName(e.type);
    in.timestamp = e.timestamp;
    in.chain_sha256 = &e.chain_sha256;
    AppendRecord(in, 0, &d.ndjson);
    ++d.ndjson_records;
  }
  return d;
}

}  // namespace

const Data& GetData() {
  static const Data data = Build();
  return data;
}

}  // namespace ctdl::bench
