#include "x509/name.h"

#include <cstdint>

#include "base/bytes.h"
#include "x509/text.h"

namespace ctdl::x509 {
namespace {

struct ShortName {
  std::string_view oid;
  const char* name;
};
// pyca's _NAMEOID_TO_NAME, keyed by OID contents octets.
constexpr ShortName kShortNames[] = {
    {"\x55\x04\x03", "CN"},
    {"\x55\x04\x07", "L"},
    {"\x55\x04\x08", "ST"},
    {"\x55\x04\x0a", "O"},
    {"\x55\x04\x0b", "OU"},
    {"\x55\x04\x06", "C"},
    {"\x55\x04\x09", "STREET"},
    {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", "DC"},
    {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", "UID"},
};
constexpr std::string_view kCommonName = "\x55\x04\x03";
constexpr std::string_view kUniqueIdentifier = "\x55\x04\x2d";  // x500UniqueIdentifier

const char* TypeName(uint8_t tag) {
  switch (tag) {
    case der::kUtf8String: return "UTF8String";
    case der::kPrintableString: return "PrintableString";
    case der::kT61String: return "T61String";
    case der::kIa5String: return "IA5String";
    case der::kVisibleString: return "VisibleString";
    case der::kNumericString: return "NumericString";
    case der::kOctetString: return "OCTET STRING";
    case der::kUtcTime: return "UTCTime";
    case der::kGeneralizedTime: return "GeneralizedTime";
    case der::kBmpString: return "BMPString";
    case der::kUniversalString: return "UniversalString";
    default: return "value";
  }
}

void AddLint(Lints* lints, std::string_view which, std::string_view what) {
  std::string s(which);
  s += ": ";
  s += what;
  lints->push_back(std::move(s));
}

// Decodes one attribute value into *val as pyca does. Returns false (and lints) where pyca would
// raise; *val then holds a lenient rendering. *is_bytes: pyca's value is bytes (BitString).
bool DecodeValue(const der::Tlv& v, std::string_view oid, std::string_view which, std::string* val,
                 bool* is_bytes, Lints* lints) {
  *is_bytes = false;
  switch (v.tag) {
    case der::kBitString:
      *is_bytes = true;
      if (!v.value.empty()) *val = "#" + HexEncode(v.value);
      if (oid != kUniqueIdentifier) {
        AddLint(lints, which, "BIT STRING value for an attribute other than x500UniqueIdentifier");
        return false;
      }
      return true;
    case der::kBmpString:
      if (text::AppendUtf16Be(v.value, val)) return true;
      *val = "#" + HexEncode(v.full);
      *is_bytes = true;
      AddLint(lints, which, "invalid BMPString (odd length or lone surrogate)");
      return false;
    case der::kUniversalString:
      if (text::AppendUtf32Be(v.value, val)) return true;
      *val = "#" + HexEncode(v.full);
      *is_bytes = true;
      AddLint(lints, which, "invalid UniversalString (length or code point)");
      return false;
    case der::kPrintableString:
    case der::kUtf8String:
    case der::kT61String:
    case der::kIa5String:
    case der::kVisibleString:
    case der::kNumericString:
    case der::kOctetString:
    case der::kUtcTime:
    case der::kGeneralizedTime: {
      bool ok = true;
      if (v.tag == der::kPrintableString && !text::IsPrintableString(v.value)) {
        AddLint(lints, which, "PrintableString with a character outside its set");
        ok = false;
      }
      if (text::IsValidUtf8(v.value)) {
        val->append(v.value);
      } else {
        text::AppendLatin1(v.value, val);
        AddLint(lints, which, std::string(TypeName(v.tag)) + " is not valid UTF-8");
        ok = false;
      }
      return ok;
    }
    default: {
      *val = "#" + HexEncode(v.full);  // RFC 4514 form: '#' + hex of the whole BER encoding
      *is_bytes = true;
      static const char kHex[] = "0123456789abcdef";
      std::string what = "attribute value of unsupported type (tag 0x";
      what += kHex[v.tag >> 4];
      what += kHex[v.tag & 15];
      what += ')';
      AddLint(lints, which, what);
      return false;
    }
  }
}

}  // namespace

namespace {
// Characters RFC 4514 escaping changes inside a value (pyca's _escape_dn_value): \ " + , ; < > NUL.
struct DnSpecialTable {
  bool special[256] = {};
  constexpr DnSpecialTable() {
    for (char c : {'\\', '"', '+', ',', ';', '<', '>', '\0'}) special[uint8_t(c)] = true;
  }
};
constexpr DnSpecialTable kDnSpecial;
}  // namespace

void AppendEscapedDnValue(std::string_view v, std::string* out) {
  if (v.empty()) return;
  size_t start = out->size();
  size_t i = 0;
  while (i < v.size()) {
    size_t j = i;  // a run that needs no escaping is copied in one go
    while (j < v.size() && !kDnSpecial.special[uint8_t(v[j])]) ++j;
    out->append(v.data() + i, j - i);
    if (j == v.size()) break;
    char c = v[j];
    if (c == '\0') {
      out->append("\\00");
    } else {
      out->push_back('\\');
      out->push_back(c);
    }
    i = j + 1;
  }
  size_t len = out->size() - start;
  char first = (*out)[start];
  if (first == '#' || (first == ' ' && len > 1)) {
    out->insert(out->begin() + start, '\\');
    ++len;
  }
  if (out->back() == ' ') out->insert(out->end() - 1, '\\');
}

void FormatName(std::string_view name_value, std::string_view which, FormattedName* out,
                Lints* lints) {
  out->rfc4514.clear();
  out->cn.clear();
  out->has_cn = false;
  out->ok = true;
  // Format RDNs in DER order into one buffer, remembering spans, then join them reversed.
  // Scratch buffers reused across calls (FormatName never re-enters itself).
  thread_local std::string buf;
  thread_local std::string val;
  thread_local std::vector<std::pair<std::string_view, std::string>> seen;
  buf.clear();
  struct Span {
    size_t begin, end;
  };
  Span spans_small[16];
  std::vector<Span> spans_big;
  size_t nspans = 0;
  auto add_span = [&](Span s) {
    if (nspans < 16) spans_small[nspans] = s;
    else {
      if (spans_big.empty()) spans_big.assign(spans_small, spans_small + 16);
      spans_big.push_back(s);
    }
    ++nspans;
  };

  der::Reader rdns(name_value);
  while (!rdns.empty()) {
    der::Tlv rdn;
    if (!rdns.Next(&rdn)) {
      AddLint(lints, which, std::string("malformed RDN: ") + der::ErrorText(rdns.error()));
      out->ok = false;
      break;
    }
    if (rdn.tag != der::kSet) {
      AddLint(lints, which, "RDN is not a SET");
      out->ok = false;
      continue;
    }
    if (rdn.value.empty()) {
      AddLint(lints, which, "empty RDN");
      out->ok = false;
      continue;
    }
    size_t rdn_begin = buf.size();
    der::Reader atvs(rdn.value);
    std::string_view prev_atv;
    int count = 0;
    seen.clear();
    while (!atvs.empty()) {
      der::Tlv atv, type, value;
      if (!atvs.Next(&atv) || atv.tag != der::kSequence) {
        AddLint(lints, which, "malformed AttributeTypeAndValue");
        out->ok = false;
        break;
      }
      // DER SET OF: elements in ascending order of their encodings (pyca checks this).
      if (count && atv.full < prev_atv) {
        AddLint(lints, which, "multi-valued RDN not in DER SET OF order");
        out->ok = false;
      }
      prev_atv = atv.full;
      der::Reader parts(atv.value);
      if (!parts.Expect(der::kOid, &type) || !parts.Next(&value) || !parts.empty()) {
        AddLint(lints, which, "malformed AttributeTypeAndValue");
        out->ok = false;
        break;
      }
      if (count++) buf.push_back('+');
      const char* short_name = nullptr;
      for (const auto& s : kShortNames) {
        if (s.oid == type.value) {
          short_name = s.name;
          break;
        }
      }
      if (short_name) {
        buf.append(short_name);
      } else if (!der::AppendOidDotted(type.value, &buf)) {
        AddLint(lints, which, "malformed attribute OID");
        out->ok = false;
        buf.append("#");
        buf.append(HexEncode(type.value));
      }
      buf.push_back('=');
      val.clear();
      bool is_bytes = false;
      if (!DecodeValue(value, type.value, which, &val, &is_bytes, lints)) out->ok = false;
      if (is_bytes) buf.append(val);  // already '#'+hex, no escaping (as pyca)
      else AppendEscapedDnValue(val, &buf);
      if (type.value == kCommonName && !out->has_cn) {
        out->has_cn = true;
        out->cn = val;
      }
      // pyca refuses duplicate (oid, value) pairs inside one RDN (compared after decoding).
      if (atvs.PeekTag() >= 0 || !seen.empty()) {
        std::string key = is_bytes ? "\x01" + val : "\x02" + val;
        for (const auto& [o, k] : seen) {
          if (o == type.value && k == key) {
            AddLint(lints, which, "duplicate attribute in a multi-valued RDN");
            out->ok = false;
            break;
          }
        }
        seen.emplace_back(type.value, std::move(key));
      }
    }
    add_span({rdn_begin, buf.size()});
  }
  const Span* spans = spans_big.empty() ? spans_small : spans_big.data();
  out->rfc4514.reserve(buf.size() + nspans);
  for (size_t i = nspans; i-- > 0;) {
    out->rfc4514.append(buf, spans[i].begin, spans[i].end - spans[i].begin);
    if (i) out->rfc4514.push_back(',');
  }
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}
}  // namespace

bool FormatTime(const der::Tlv& t, std::string* out) {
  std::string_view s = t.value;
  int year, mon, day, hour, min, sec;
  size_t p;
  if (t.tag == der::kUtcTime) {
    if (s.size() != 13 || s[12] != 'Z' || !Digits(s, 0, 2, &year)) return false;
    year += year < 50 ? 2000 : 1900;
    p = 2;
  } else if (t.tag == der::kGeneralizedTime) {
    if (s.size() != 15 || s[14] != 'Z' || !Digits(s, 0, 4, &year)) return false;
    if (year == 0) return false;  // not representable (pyca's datetime starts at year 1)
    p = 4;
  } else {
    return false;
  }
  if (!Digits(s, p, 2, &mon) || !Digits(s, p + 2, 2, &day) || !Digits(s, p + 4, 2, &hour) ||
      !Digits(s, p + 6, 2, &min) || !Digits(s, p + 8, 2, &sec))
    return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mon < 1 || mon > 12 || hour > 23 || min > 59 || sec > 59 || day < 1) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int dim = kDays[mon - 1] + (mon == 2 && leap ? 1 : 0);
  if (day > dim) return false;
  char b[32];
  auto put2 = [&](char* d, int v) {
    d[0] = char('0' + v / 10);
    d[1] = char('0' + v % 10);
  };
  put2(b, year / 100);
  put2(b + 2, year % 100);
  b[4] = '-';
  put2(b + 5, mon);
  b[7] = '-';
  put2(b + 8, day);
  b[10] = ' ';
  put2(b + 11, hour);
  b[13] = ':';
  put2(b + 14, min);
  b[16] = ':';
  put2(b + 17, sec);
  out->append(b, 19);
  out->append("+00:00");
  return true;
}

}  // namespace ctdl::x509
