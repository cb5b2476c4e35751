// Fuzzes the DER reader and the name/time formatters on arbitrary bytes: no crash, no UB, no
// read past the input (ASan), and the reader's invariants hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "x509/der.h"
#include "x509/name.h"
#include "x509/text.h"

using namespace ctdl;

static void Walk(std::string_view data, int depth) {
  der::Reader r(data);
  der::Tlv t;
  while (r.Next(&t)) {
    // Views must lie inside the input.
    if (t.full.data() < data.data() || t.full.data() + t.full.size() > data.data() + data.size()) abort();
    if (t.value.data() + t.value.size() != t.full.data() + t.full.size()) abort();
    std::string s;
    switch (t.tag) {
      case der::kOid:
        der::AppendOidDotted(t.value, &s);
        break;
      case der::kUtcTime:
      case der::kGeneralizedTime:
        if (x509::FormatTime(t, &s) && s.size() != 25) abort();
        break;
      case der::kSequence: {
        x509::FormattedName name;
        x509::Lints lints;
        x509::FormatName(t.value, "name", &name, &lints);
        std::string json;
        text::AppendJsonString(name.rfc4514, &json);
        if (!text::IsValidUtf8(json)) abort();
        break;
      }
      case der::kInteger: {
        uint64_t v;
        der::ParseUint64(t.value, &v);
        break;
      }
      default:
        break;
    }
    if ((t.tag & 0x20) && depth < 16) Walk(t.value, depth + 1);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Walk(in, 0);
  der::IsWellFormed(in);
  std::string s;
  text::AppendUtf16Be(in, &s);
  text::AppendUtf32Be(in, &s);
  std::string json;
  text::AppendJsonString(in, &json);
  if (!text::IsValidUtf8(json)) abort();
  return 0;
}
