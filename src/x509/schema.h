// The record schema as data: every top-level key a record can carry, in output order, with the DuckDB
// type that reads it. Records keep only the keys they have (doc/record-format.md); loaders that infer
// a schema from a sample miss rare keys (lint, validation, error), so the archive carries this schema
// (kSchemaKey, written by `ctdl download`) and doc/querying.md gives the same columns for read_json.
// Thread-safe: constant data.
#pragma once

#include <string>
#include <string_view>

namespace ctdl::x509 {

struct SchemaColumn {
  const char* key;
  const char* duckdb_type;
};

// All columns in record order (seed, position, opt-in, problems).
const SchemaColumn* RecordSchema(size_t* count);

// {"format":"ctdl-record","version":1,"columns":{"fingerprint":"VARCHAR",...}}  (one line, '\n')
std::string RecordSchemaJson();

// Where the archive keeps it (the same object for every log; never rewritten once there).
inline constexpr std::string_view kSchemaKey = "schema/ctdl-record-v1.json";

}  // namespace ctdl::x509
