// Fuzzes record extraction end to end (every opt-in field on): any bytes must give exactly one
// line of valid UTF-8 JSON that starts with the fingerprint.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "x509/record.h"
#include "x509/text.h"

using namespace ctdl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Hash256> chain(2);
  RecordInput in;
  in.der = std::string_view(reinterpret_cast<const char*>(data), size);
  in.index = size;
  in.entry_type = size % 2 ? "precert" : "x509";
  in.chain_sha256 = &chain;
  std::string out;
  AppendRecord(in, ~FieldSet(0), &out);
  if (out.size() < 2 || out.back() != '\n' || out.rfind("{\"fingerprint\":\"", 0) != 0) abort();
  if (out.find('\n') != out.size() - 1) abort();  // one line
  if (!text::IsValidUtf8(out)) abort();
  for (char c : out.substr(0, out.size() - 1))
    if (static_cast<unsigned char>(c) < 0x20) abort();  // control characters must be escaped
  return 0;
}
