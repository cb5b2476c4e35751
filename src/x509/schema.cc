#include "x509/schema.h"

namespace ctdl::x509 {
namespace {

const SchemaColumn kColumns[] = {
    {"fingerprint", "VARCHAR"},
    {"issuer", "VARCHAR"},
    {"subject", "VARCHAR"},
    {"not_valid_before", "VARCHAR"},
    {"not_valid_after", "VARCHAR"},
    {"cn", "VARCHAR"},
    {"subjectAltName", "VARCHAR[]"},
    {"index", "UBIGINT"},
    {"entry_type", "VARCHAR"},
    {"timestamp", "UBIGINT"},
    {"serial", "VARCHAR"},
    {"sha256", "VARCHAR"},
    {"key_type", "VARCHAR"},
    {"key_bits", "INTEGER"},
    {"signature_algorithm", "VARCHAR"},
    {"san_ip", "VARCHAR[]"},
    {"san_email", "VARCHAR[]"},
    {"san_uri", "VARCHAR[]"},
    {"is_ca", "BOOLEAN"},
    {"sct_count", "INTEGER"},
    {"chain", "VARCHAR[]"},
    {"tbs_sha256", "VARCHAR"},
    {"leaf_hash", "VARCHAR"},
    {"log_id", "VARCHAR"},
    {"log", "VARCHAR"},
    {"validation", "VARCHAR"},
    {"lint", "VARCHAR[]"},
    {"error", "VARCHAR"},
};

}  // namespace

const SchemaColumn* RecordSchema(size_t* count) {
  *count = sizeof(kColumns) / sizeof(kColumns[0]);
  return kColumns;
}

std::string RecordSchemaJson() {
  std::string out = "{\"format\":\"ctdl-record\",\"version\":1,\"doc\":\"doc/record-format.md\",\"columns\":{";
  for (size_t i = 0; i < sizeof(kColumns) / sizeof(kColumns[0]); ++i) {
    if (i) out += ',';
    out += '"';
    out += kColumns[i].key;
    out += "\":\"";
    out += kColumns[i].duckdb_type;
    out += '"';
  }
  out += "}}\n";
  return out;
}

}  // namespace ctdl::x509
