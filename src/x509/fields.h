// Opt-in record fields (--fields): one small writer function per field, in one table.
// To add a field: add a Field bit in record.h, write one function in fields.cc, add one table row.
#pragma once

#include <string>
#include <string_view>

#include "x509/cert.h"
#include "x509/record.h"

namespace ctdl::x509 {

// Appends ,"name":value pairs (each starting with a comma).
using FieldWriter = void (*)(const CertView& cert, const RecordInput& in, std::string* out);

struct FieldSpec {
  Field bit;
  const char* names[2];  // accepted --fields names (second may be null)
  FieldWriter write;
  bool entry = false;  // about the log entry, not the certificate: written in error records too
};

// All opt-in fields in output order.
const FieldSpec* OptInFields(size_t* count);

// Writes the selected fields (only the entry fields when entry_only: error records) in table order.
void AppendFields(const CertView& cert, const RecordInput& in, FieldSet fields, bool entry_only,
                  std::string* out);

}  // namespace ctdl::x509
