#include "x509/record.h"

#include <charconv>

#include "x509/cert.h"
#include "x509/fields.h"
#include "x509/name.h"
#include "x509/name_cache.h"
#include "x509/text.h"

namespace ctdl {

using x509::CertView;
using x509::FormattedName;

Result<FieldSet> ParseFields(std::string_view list) {
  size_t n;
  const x509::FieldSpec* specs = x509::OptInFields(&n);
  FieldSet set = 0;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.empty()) continue;
    if (item == "all") {
      for (size_t i = 0; i < n; ++i) set |= specs[i].bit;
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < n && !found; ++i) {
      for (const char* name : specs[i].names) {
        if (name && item == name) {
          set |= specs[i].bit;
          found = true;
          break;
        }
      }
    }
    if (!found) {
      std::string known;
      for (size_t i = 0; i < n; ++i)
        for (const char* name : specs[i].names)
          if (name) known += (known.empty() ? "" : ", ") + std::string(name);
      return InvalidArgument("unknown record field '" + std::string(item) + "' (known: " + known +
                             ", all)");
    }
  }
  return set;
}

namespace {

void Fingerprint(std::string_view der, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  auto sha1 = Sha1(der);
  out->append("{\"fingerprint\":\"");
  for (size_t i = 0; i < sha1.size(); ++i) {
    if (i) out->push_back(':');
    out->push_back(kHex[sha1[i] >> 4]);
    out->push_back(kHex[sha1[i] & 15]);
  }
  out->push_back('"');
}

void Position(const RecordInput& in, std::string* out) {
  text::AppendJsonKey("index", out);
  text::AppendJsonUint(in.index, out);
  text::AppendJsonKey("entry_type", out);
  text::AppendJsonString(in.entry_type ? in.entry_type : "", out);
  text::AppendJsonKey("timestamp", out);
  text::AppendJsonUint(in.timestamp, out);
}

void Time(const char* key, bool have, const der::Tlv& t, x509::Lints* lints, std::string* out) {
  text::AppendJsonKey(key, out);
  if (!have) { out->append("null"); return; }
  out->push_back('"');
  if (!x509::FormatTime(t, out)) {
    out->pop_back();
    lints->push_back(std::string(key) +
                     (t.tag == der::kUtcTime ? ": invalid UTCTime" : ": invalid GeneralizedTime"));
    { out->append("null"); return; }
  }
  out->push_back('"');
}

}  // namespace

void AppendRecord(const RecordInput& in, FieldSet fields, std::string* out) {
  Fingerprint(in.der, out);
  thread_local CertView cert;
  if (!in.error.empty()) {
    Position(in, out);
    cert = CertView();
    x509::AppendFields(cert, in, fields, true, out);
    text::AppendJsonKey("error", out);
    text::AppendJsonString(in.error, out);
    out->append("}\n");
    return;
  }
  thread_local FormattedName name;
  thread_local x509::NameJsonCache issuers;  // issuer Names repeat from entry to entry
  x509::ParseCertificate(in.der, &cert);
  if (!cert.is_cert) {
    Position(in, out);
    x509::AppendFields(cert, in, fields, true, out);
    text::AppendJsonKey("validation", out);
    out->append("\"Fatal\"");
    text::AppendJsonKey("error", out);
    text::AppendJsonString(cert.not_cert_reason, out);
    out->append("}\n");
    return;
  }
  x509::Lints& lints = cert.lints;
  text::AppendJsonKey("issuer", out);
  if (cert.has_issuer) {
    issuers.Append(cert.issuer, "issuer", out, &lints);
  } else {
    out->append("null");
  }
  text::AppendJsonKey("subject", out);
  bool has_cn = false;
  if (cert.has_subject) {
    x509::FormatName(cert.subject, "subject", &name, &lints);
    text::AppendJsonString(name.rfc4514, out);
    has_cn = name.has_cn;
  } else {
    out->append("null");
  }
  Time("not_valid_before", cert.has_validity, cert.not_before, &lints, out);
  Time("not_valid_after", cert.has_validity, cert.not_after, &lints, out);
  text::AppendJsonKey("cn", out);
  if (has_cn) text::AppendJsonString(name.cn, out);
  else out->append("null");
  text::AppendJsonKey("subjectAltName", out);
  out->push_back('[');
  bool first = true;
  if (cert.has_san) {
    x509::ForEachGeneralName(cert.san, [&](uint8_t tag, std::string_view v) {
      if (tag != 0x82) return;
      if (!first) out->push_back(',');
      first = false;
      text::AppendJsonBytes(v, out);
    });
  }
  out->push_back(']');
  Position(in, out);
  x509::AppendFields(cert, in, fields, false, out);
  if (!lints.empty()) {
    text::AppendJsonKey("validation", out);
    out->append("\"Fatal\"");
    text::AppendJsonKey("lint", out);
    out->push_back('[');
    for (size_t i = 0; i < lints.size(); ++i) {
      if (i) out->push_back(',');
      text::AppendJsonString(lints[i], out);
    }
    out->push_back(']');
  }
  out->append("}\n");
}

}  // namespace ctdl
