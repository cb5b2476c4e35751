// ctdl-record: prints one record (NDJSON line) per certificate found in the given files.
// Files may be DER (one certificate) or PEM (any number of CERTIFICATE blocks, text around them).
//   ctdl-record [--fields LIST] [--entry-type x509|precert] FILE...
//   ctdl-record --schema     (prints the record schema the archive carries: x509/schema.h)
// Exit: 0 ok, 2 usage error, 3 a file could not be read.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "x509/record.h"
#include "x509/schema.h"

namespace {

// Extracts the base64 bodies of "-----BEGIN CERTIFICATE-----" blocks; empty when the file is DER.
bool PemCertificates(const std::string& data, std::vector<std::string>* out, std::string* err) {
  static const std::string kBegin = "-----BEGIN CERTIFICATE-----";
  static const std::string kEnd = "-----END CERTIFICATE-----";
  size_t pos = 0;
  bool any = false;
  while ((pos = data.find(kBegin, pos)) != std::string::npos) {
    any = true;
    size_t start = pos + kBegin.size();
    size_t end = data.find(kEnd, start);
    if (end == std::string::npos) {
      *err = "unterminated PEM block";
      return any;
    }
    std::string b64;
    for (size_t i = start; i < end; ++i) {
      char c = data[i];
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64.push_back(c);
    }
    auto der = ctdl::Base64Decode(b64);
    out->push_back(der.ok() ? *der : std::string());
    if (!der.ok()) *err = "bad base64 in PEM block";
    pos = end + kEnd.size();
  }
  return any;
}

}  // namespace

int main(int argc, char** argv) {
  ctdl::FieldSet fields = 0;
  const char* entry_type = "x509";
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fields" && i + 1 < argc) {
      auto f = ctdl::ParseFields(argv[++i]);
      if (!f.ok()) {
        std::fprintf(stderr, "ctdl-record: %s\n", f.status().message().c_str());
        return 2;
      }
      fields = *f;
    } else if (a == "--schema") {  // the archive's schema object (x509/schema.h)
      std::fputs(ctdl::x509::RecordSchemaJson().c_str(), stdout);
      return 0;
    } else if (a == "--entry-type" && i + 1 < argc) {
      entry_type = argv[++i];
    } else if (a == "-h" || a == "--help" || a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "usage: ctdl-record [--fields LIST] [--entry-type x509|precert] FILE...\n");
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: ctdl-record [--fields LIST] [--entry-type x509|precert] FILE...\n");
    return 2;
  }
  std::string out;
  uint64_t index = 0;
  int rc = 0;
  for (const auto& path : files) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "ctdl-record: cannot read %s\n", path.c_str());
      rc = 3;
      continue;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    std::string data = ss.str();
    std::vector<std::string> ders;
    std::string err;
    if (!PemCertificates(data, &ders, &err)) ders.push_back(data);
    for (const auto& der : ders) {
      ctdl::RecordInput in;
      in.der = der;
      in.index = index++;
      in.entry_type = entry_type;
      if (der.empty() && !err.empty()) in.error = err;
      out.clear();
      ctdl::AppendRecord(in, fields, &out);
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  }
  return rc;
}
