#include "x509/tbs_hash.h"

#include <string>

#include "x509/der.h"

namespace ctdl::x509 {
namespace {

constexpr std::string_view kOidSctList = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02";
constexpr std::string_view kOidPoison = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03";

void AppendHeader(uint8_t tag, size_t len, std::string* out) {
  out->push_back(char(tag));
  if (len < 0x80) {
    out->push_back(char(len));
    return;
  }
  int n = 0;
  for (size_t v = len; v; v >>= 8) ++n;
  out->push_back(char(0x80 | n));
  for (int i = n - 1; i >= 0; --i) out->push_back(char((len >> (8 * i)) & 0xff));
}

size_t HeaderSize(size_t len) {
  size_t n = 1;
  if (len >= 0x80)
    for (size_t v = len; v; v >>= 8) ++n;
  return 1 + n;
}

}  // namespace

bool TbsNoCtSha256(std::string_view tbs, Hash256* out) {
  der::Reader outer(tbs);
  der::Tlv seq, field;
  if (!outer.Expect(der::kSequence, &seq) || !outer.empty()) return false;
  der::Reader fields(seq.value);
  bool found = false;
  while (!fields.empty()) {
    if (!fields.Next(&field)) return false;
    if (field.tag == der::ContextConstructed(3)) {
      found = true;
      break;
    }
  }
  if (!found) {
    *out = Sha256(tbs);
    return true;
  }
  der::Reader wrap(field.value);
  der::Tlv exts;
  if (!wrap.Expect(der::kSequence, &exts) || !wrap.empty()) return false;
  // Pass 1: validate and measure what stays.
  der::Reader r(exts.value);
  size_t kept = 0;
  bool removed = false;
  while (!r.empty()) {
    der::Tlv ext, oid;
    if (!r.Expect(der::kSequence, &ext)) return false;
    der::Reader in(ext.value);
    if (!in.Expect(der::kOid, &oid)) return false;
    if (oid.value == kOidPoison || oid.value == kOidSctList) removed = true;
    else kept += ext.full.size();
  }
  if (!removed) {
    *out = Sha256(tbs);
    return true;
  }
  // Pass 2: the TBS contents before and after the [3] field, with [3] rebuilt from the kept extensions.
  const char* base = seq.value.data();
  std::string_view before = seq.value.substr(0, size_t(field.full.data() - base));
  std::string_view after = seq.value.substr(before.size() + field.full.size());
  size_t ext_field = kept ? HeaderSize(HeaderSize(kept) + kept) + HeaderSize(kept) + kept : 0;
  size_t body = before.size() + ext_field + after.size();
  thread_local std::string buf;
  buf.clear();
  buf.reserve(HeaderSize(body) + body);
  AppendHeader(der::kSequence, body, &buf);
  buf.append(before);
  if (kept) {
    AppendHeader(der::ContextConstructed(3), HeaderSize(kept) + kept, &buf);
    AppendHeader(der::kSequence, kept, &buf);
    der::Reader again(exts.value);
    der::Tlv ext, oid;
    while (!again.empty() && again.Next(&ext)) {
      der::Reader in(ext.value);
      if (in.Expect(der::kOid, &oid) && (oid.value == kOidPoison || oid.value == kOidSctList)) continue;
      buf.append(ext.full);
    }
  }
  buf.append(after);
  *out = Sha256(buf);
  return true;
}

}  // namespace ctdl::x509
