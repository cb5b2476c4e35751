#include "keys.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace testlog {

using ctdl::Result;
using ctdl::Status;

namespace {
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
}  // namespace

Pkey GenerateEc() { return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }
Pkey GenerateRsa(int bits) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

std::string SpkiDer(EVP_PKEY* k) {
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(k, &buf);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), n);
  OPENSSL_free(buf);
  return out;
}

std::string PrivateKeyPem(EVP_PKEY* k) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr)) return {};
  char* data;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

Result<Pkey> LoadPrivateKeyPem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!k) return ctdl::Corrupt("cannot parse the log's private key PEM");
  return k;
}

Result<std::string> SignSha256(EVP_PKEY* k, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return ctdl::Internal("signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return ctdl::Internal("signing failed");
  }
  sig.resize(len);
  return sig;
}

static bool AddExt(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Result<std::string> SelfSignedCa(EVP_PKEY* k, const std::string& cn, long serial) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char*)"XX", -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char*)"ctdl testlog", -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char*)cn.c_str(), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  ASN1_TIME_set_string(X509_getm_notBefore(x.get()), "20200101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(x.get()), "20400101000000Z");
  X509_set_pubkey(x.get(), k);
  if (!AddExt(x.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExt(x.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExt(x.get(), NID_subject_key_identifier, "hash")) {
    return ctdl::Internal("cannot add CA extensions");
  }
  if (X509_sign(x.get(), k, EVP_sha256()) <= 0) return ctdl::Internal("cannot sign CA");
  unsigned char* buf = nullptr;
  int n = i2d_X509(x.get(), &buf);
  if (n <= 0) return ctdl::Internal("cannot encode CA");
  std::string out(reinterpret_cast<char*>(buf), n);
  OPENSSL_free(buf);
  return out;
}

std::string SubjectNameDer(std::string_view cert_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(cert_der.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())));
  if (!x) return {};
  unsigned char* buf = nullptr;
  int n = i2d_X509_NAME(X509_get_subject_name(x.get()), &buf);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(buf), n);
  OPENSSL_free(buf);
  return out;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ctdl::IoError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFile(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f) return ctdl::IoError("cannot write " + tmp);
  bool ok = fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) return ctdl::IoError("cannot write " + path);
  return Status::Ok();
}

}  // namespace testlog
