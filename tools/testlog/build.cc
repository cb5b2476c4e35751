#include "build.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "base/bytes.h"
#include "base/log.h"
#include "certgen.h"
#include "encode.h"
#include "keys.h"

namespace testlog {

namespace fs = std::filesystem;
using ctdl::Hash256;
using ctdl::Result;
using ctdl::Status;

namespace {

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

// A real certificate from --certs, ready to become an entry.
struct RealCert {
  std::string der;
  bool precert = false;
  std::string tbs_for_leaf;  // precert: TBS with the poison removed
};

std::vector<std::string> ParseCertFile(const std::string& data) {
  std::vector<std::string> out;
  if (data.find("-----BEGIN") != std::string::npos) {
    BIO* bio = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
    while (true) {
      X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      if (!x) break;
      unsigned char* buf = nullptr;
      int n = i2d_X509(x, &buf);
      if (n > 0) out.emplace_back(reinterpret_cast<char*>(buf), n);
      OPENSSL_free(buf);
      X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    return out;
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(data.size()));
  if (x) {
    // Keep the original bytes when they are exactly one certificate.
    if (p == reinterpret_cast<const unsigned char*>(data.data() + data.size())) out.push_back(data);
    X509_free(x);
  }
  ERR_clear_error();
  return out;
}

std::vector<RealCert> LoadRealCerts(const std::string& folder) {
  std::vector<RealCert> out;
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->file_size(ec) < (1 << 20)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (auto& f : files) {
    auto data = ReadFile(f.string());
    if (!data.ok()) continue;
    for (auto& der : ParseCertFile(*data)) {
      RealCert rc;
      rc.der = der;
      const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
      X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
      int pos = x ? X509_get_ext_by_NID(x.get(), NID_ct_precert_poison, -1) : -1;
      if (pos >= 0) {
        X509_EXTENSION_free(X509_delete_ext(x.get(), pos));
        unsigned char* buf = nullptr;
        int n = i2d_re_X509_tbs(x.get(), &buf);
        if (n > 0) {
          rc.precert = true;
          rc.tbs_for_leaf.assign(reinterpret_cast<char*>(buf), n);
        }
        OPENSSL_free(buf);
        if (!rc.precert) continue;
      }
      out.push_back(std::move(rc));
    }
  }
  ERR_clear_error();
  return out;
}

Status WriteAll(FILE* f, std::string_view data) {
  if (fwrite(data.data(), 1, data.size(), f) != data.size()) return ctdl::IoError("write failed");
  return Status::Ok();
}

}  // namespace

Status Build(const BuildOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  fs::create_directories(fs::path(opt.out) / "issuers", ec);
  if (ec) return ctdl::IoError("cannot create " + opt.out + ": " + ec.message());

  // Log key and CAs.
  Pkey log_key = GenerateEc();
  Pkey ec_ca = GenerateEc();
  Pkey rsa_ca = GenerateRsa(2048);
  if (!log_key || !ec_ca || !rsa_ca) return ctdl::Internal("key generation failed");
  TRY(WriteFile(opt.out + "/log_key.pem", PrivateKeyPem(log_key.get())));
  std::vector<Issuer> issuers(2);
  TRY_ASSIGN(issuers[0].cert_der, SelfSignedCa(ec_ca.get(), "ctdl Test ECDSA CA", 1));
  issuers[0].spki_der = SpkiDer(ec_ca.get());
  issuers[0].ecdsa = true;
  TRY_ASSIGN(issuers[1].cert_der, SelfSignedCa(rsa_ca.get(), "ctdl Test RSA CA", 2));
  issuers[1].spki_der = SpkiDer(rsa_ca.get());
  issuers[1].ecdsa = false;
  std::vector<Hash256> fingerprints, key_hashes;
  for (auto& is : issuers) {
    is.name_der = SubjectNameDer(is.cert_der);
    fingerprints.push_back(ctdl::Sha256(is.cert_der));
    key_hashes.push_back(ctdl::Sha256(is.spki_der));
    TRY(WriteFile(opt.out + "/issuers/" + ctdl::HexEncode(ctdl::AsView(fingerprints.back())), is.cert_der));
  }

  // Subject key pool.
  std::vector<std::string> spkis;
  for (int i = 0; i < 12; ++i) {
    Pkey k = GenerateEc();
    if (!k) return ctdl::Internal("key generation failed");
    spkis.push_back(SpkiDer(k.get()));
  }
  for (int bits : {2048, 2048, 3072}) {
    Pkey k = GenerateRsa(bits);
    if (!k) return ctdl::Internal("key generation failed");
    spkis.push_back(SpkiDer(k.get()));
  }

  std::vector<RealCert> real;
  if (!opt.certs.empty()) {
    if (!fs::is_directory(opt.certs, ec))
      return ctdl::InvalidArgument("--certs " + opt.certs + " is not a folder");
    real = LoadRealCerts(opt.certs);
    LOG_INFO("{} real certificates loaded from {}", real.size(), opt.certs);
    if (real.size() > opt.entries) real.resize(opt.entries);
  }
  uint64_t stride = real.empty() ? 0 : std::max<uint64_t>(1, opt.entries / real.size());

  File entries(fopen((opt.out + "/entries.json").c_str(), "wb"));
  File tiles(fopen((opt.out + "/tileleaves.bin").c_str(), "wb"));
  if (!entries || !tiles) return ctdl::IoError("cannot create files in " + opt.out);
  static char buf1[1 << 20], buf2[1 << 20];
  setvbuf(entries.get(), buf1, _IOFBF, sizeof buf1);
  setvbuf(tiles.get(), buf2, _IOFBF, sizeof buf2);

  std::vector<uint64_t> entry_off{0}, tile_off{0};
  entry_off.reserve(opt.entries + 1);
  tile_off.reserve(opt.entries + 1);
  std::vector<Hash256> hashes;
  hashes.reserve(opt.entries * 2 + 64);

  CertGenerator gen(opt.seed * 0x9e3779b97f4a7c15ULL + 1, &issuers, spkis);
  Rng choose(opt.seed ^ 0x5bd1e995);
  size_t next_real = 0;
  uint64_t n_precert = 0, n_final = 0;
  std::string pending_final;
  int pending_issuer = 0;
  std::string frag;
  for (uint64_t i = 0; i < opt.entries; ++i) {
    uint64_t ts = opt.base_timestamp + i;
    bool precert;
    std::string cert, tbs;
    int issuer;
    if (stride && next_real < real.size() && i % stride == 0) {  // real certificates keep their slots
      RealCert& rc = real[next_real++];
      precert = rc.precert;
      cert = std::move(rc.der);
      tbs = std::move(rc.tbs_for_leaf);
      issuer = static_cast<int>(i % issuers.size());
    } else if (!pending_final.empty()) {  // the final certificate of the last generated precert
      precert = false;
      cert = std::move(pending_final);
      pending_final.clear();
      issuer = pending_issuer;
      ++n_final;
    } else {
      bool want_precert = choose.Chance(opt.precert_ratio);
      bool want_final = want_precert && opt.final_ratio > 0 && choose.Chance(opt.final_ratio);
      GeneratedCert g = gen.Next(i, want_precert, want_final);
      precert = g.precert;
      pending_final = std::move(g.final_der);
      pending_issuer = g.issuer;
      cert = std::move(g.cert_der);
      tbs = std::move(g.tbs_for_leaf);
      issuer = g.issuer;
    }
    n_precert += precert;
    std::vector<std::string_view> chain{issuers[issuer].cert_der};
    std::string ext = opt.leaf_index_ext ? LeafIndexExtension(i) : std::string();
    std::string leaf =
        precert ? MerkleLeafPrecert(ts, key_hashes[issuer], tbs, ext) : MerkleLeafX509(ts, cert, ext);
    std::string extra = precert ? ExtraDataPrecert(cert, chain) : ExtraDataX509(chain);
    std::string tile = TileLeaf(leaf, precert, cert, {fingerprints[issuer]});
    frag.clear();
    frag += "{\"leaf_input\":\"";
    frag += ctdl::Base64Encode(leaf);
    frag += "\",\"extra_data\":\"";
    frag += ctdl::Base64Encode(extra);
    frag += "\"},";
    TRY(WriteAll(entries.get(), frag));
    TRY(WriteAll(tiles.get(), tile));
    entry_off.push_back(entry_off.back() + frag.size());
    tile_off.push_back(tile_off.back() + tile.size());
    hashes.push_back(LeafHash(leaf));
  }
  if (fflush(entries.get()) != 0 || fflush(tiles.get()) != 0) return ctdl::IoError("write failed");

  // Complete-subtree hashes, level by level: level l holds floor(N / 2^l) hashes.
  size_t level_start = 0, level_n = hashes.size();
  while (level_n >= 2) {
    for (size_t j = 0; j + 1 < level_n; j += 2)
      hashes.push_back(NodeHash(hashes[level_start + j], hashes[level_start + j + 1]));
    level_start += level_n;
    level_n /= 2;
  }
  TRY(WriteFile(opt.out + "/hashes.bin", std::string_view(reinterpret_cast<const char*>(hashes.data()),
                                                          hashes.size() * sizeof(Hash256))));
  TRY(WriteFile(opt.out + "/entries.idx",
                std::string_view(reinterpret_cast<const char*>(entry_off.data()), entry_off.size() * 8)));
  TRY(WriteFile(opt.out + "/tileleaves.idx",
                std::string_view(reinterpret_cast<const char*>(tile_off.data()), tile_off.size() * 8)));
  TRY(WriteFile(
      opt.out + "/meta.json",
      fmt::format("{{\"format\":1,\"entries\":{},\"seed\":{},\"precert_ratio\":{},"
                  "\"precerts\":{},\"real_certs\":{},\"base_timestamp\":{},\"leaf_index_ext\":{}{}}}\n",
                  opt.entries, opt.seed, opt.precert_ratio, n_precert, next_real, opt.base_timestamp,
                  opt.leaf_index_ext,
                  opt.final_ratio > 0 ? fmt::format(",\"final_ratio\":{},\"final_certs\":{}", opt.final_ratio, n_final)
                                      : std::string())));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  LOG_INFO("built {} entries ({} precerts, {} real) in {:.2f}s ({:.0f} entries/s) into {}", opt.entries,
           n_precert, next_real, secs, opt.entries / std::max(secs, 1e-9), opt.out);
  return Status::Ok();
}

}  // namespace testlog
