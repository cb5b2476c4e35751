#include "x509/fields.h"

#include <arpa/inet.h>

#include <charconv>

#include "base/bytes.h"
#include "x509/tbs_hash.h"
#include "x509/text.h"

namespace ctdl::x509 {
namespace {

void WriteSerial(const CertView& c, const RecordInput&, std::string* out) {
  text::AppendJsonKey("serial", out);
  if (!c.has_serial) { out->append("null"); return; }
  std::string_view s = c.serial;
  // Positive serials: the magnitude (the 0x00 sign octet dropped); negative: two's complement.
  if (s.size() > 1 && s[0] == 0 && (uint8_t(s[1]) & 0x80)) s.remove_prefix(1);
  out->push_back('"');
  out->append(HexEncode(s));
  out->push_back('"');
}

void WriteSha256(const CertView&, const RecordInput& in, std::string* out) {
  text::AppendJsonKey("sha256", out);
  out->push_back('"');
  out->append(HexEncode(AsView(Sha256(in.der))));
  out->push_back('"');
}

// Bit length of an unsigned big-endian magnitude (leading zero octets ignored).
uint64_t BitLength(std::string_view v) {
  while (!v.empty() && v[0] == 0) v.remove_prefix(1);
  if (v.empty()) return 0;
  uint64_t bits = (v.size() - 1) * 8;
  for (uint8_t b = uint8_t(v[0]); b; b >>= 1) ++bits;
  return bits;
}

// First INTEGER inside a SEQUENCE held in bytes (RSAPublicKey n, Dss-Parms p).
bool FirstInteger(std::string_view bytes, std::string_view* out) {
  der::Reader r(bytes);
  der::Tlv seq, i;
  if (!r.Expect(der::kSequence, &seq)) return false;
  der::Reader in(seq.value);
  if (!in.Expect(der::kInteger, &i)) return false;
  *out = i.value;
  return true;
}

void WriteKey(const CertView& c, const RecordInput&, std::string* out) {
  std::string type = "null";
  uint64_t bits = 0;
  std::string_view oid = c.spki_alg_oid;
  if (c.has_spki) {
    std::string_view n;
    if (oid == "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01") {
      type = "\"RSA\"";
      if (!c.spki_key.empty() && c.spki_key[0] == 0 && FirstInteger(c.spki_key.substr(1), &n))
        bits = BitLength(n);
    } else if (oid == "\x2a\x86\x48\xce\x3d\x02\x01") {
      type = "\"EC\"";
      std::string_view p = c.spki_alg_params;
      if (p == std::string_view("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10)) bits = 256;
      else if (p == std::string_view("\x06\x05\x2b\x81\x04\x00\x22", 7)) bits = 384;
      else if (p == std::string_view("\x06\x05\x2b\x81\x04\x00\x23", 7)) bits = 521;
      else if (p == std::string_view("\x06\x05\x2b\x81\x04\x00\x0a", 7)) bits = 256;
    } else if (oid == "\x2b\x65\x70") {
      type = "\"Ed25519\"";
      bits = 256;
    } else if (oid == "\x2b\x65\x71") {
      type = "\"Ed448\"";
      bits = 456;
    } else if (oid == "\x2a\x86\x48\xce\x38\x04\x01") {
      type = "\"DSA\"";
      if (FirstInteger(c.spki_alg_params, &n)) bits = BitLength(n);
    } else {
      std::string dotted;
      if (der::AppendOidDotted(oid, &dotted)) {
        type.clear();
        text::AppendJsonString(dotted, &type);
      }
    }
  }
  text::AppendJsonKey("key_type", out);
  out->append(type);
  text::AppendJsonKey("key_bits", out);
  if (bits) text::AppendJsonUint(bits, out);
  else out->append("null");
}

struct AlgName {
  std::string_view oid;
  const char* name;
};
const AlgName kSigAlgs[] = {
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", "sha256WithRSAEncryption"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", "sha384WithRSAEncryption"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", "sha512WithRSAEncryption"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e", "sha224WithRSAEncryption"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05", "sha1WithRSAEncryption"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04", "md5WithRSAEncryption"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a", "RSASSA-PSS"},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x02", "ecdsa-with-SHA256"},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x03", "ecdsa-with-SHA384"},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x04", "ecdsa-with-SHA512"},
    {"\x2a\x86\x48\xce\x3d\x04\x01", "ecdsa-with-SHA1"},
    {"\x2b\x65\x70", "ed25519"},
    {"\x2b\x65\x71", "ed448"},
};

void WriteSignatureAlgorithm(const CertView& c, const RecordInput&, std::string* out) {
  text::AppendJsonKey("signature_algorithm", out);
  if (c.sig_alg_oid.empty()) { out->append("null"); return; }
  for (const auto& a : kSigAlgs) {
    if (a.oid == c.sig_alg_oid) {
      out->push_back('"');
      out->append(a.name);
      out->push_back('"');
      return;
    }
  }
  std::string dotted;
  if (!der::AppendOidDotted(c.sig_alg_oid, &dotted)) { out->append("null"); return; }
  text::AppendJsonString(dotted, out);
}

void WriteSanList(const CertView& c, uint8_t tag, const char* name, std::string* out) {
  text::AppendJsonKey(name, out);
  out->push_back('[');
  bool first = true;
  if (c.has_san) {
    ForEachGeneralName(c.san, [&](uint8_t t, std::string_view v) {
      if (t != tag) return;
      if (!first) out->push_back(',');
      first = false;
      if (tag == 0x87) {
        char buf[INET6_ADDRSTRLEN] = "";
        size_t n = v.size() == 8 || v.size() == 32 ? v.size() / 2 : v.size();
        if (n == 4) inet_ntop(AF_INET, v.data(), buf, sizeof buf);
        else if (n == 16) inet_ntop(AF_INET6, v.data(), buf, sizeof buf);
        if (buf[0]) {
          std::string s = buf;
          if (n != v.size()) {  // network: address/prefix length
            int prefix = 0;
            for (size_t i = n; i < v.size(); ++i)
              for (uint8_t m = uint8_t(v[i]); m & 0x80; m <<= 1) ++prefix;
            s += "/" + std::to_string(prefix);
          }
          text::AppendJsonString(s, out);
        } else {
          text::AppendJsonString("#" + HexEncode(v), out);
        }
      } else {
        text::AppendJsonBytes(v, out);
      }
    });
  }
  out->push_back(']');
}

void WriteSanIp(const CertView& c, const RecordInput&, std::string* out) { WriteSanList(c, 0x87, "san_ip", out); }
void WriteSanEmail(const CertView& c, const RecordInput&, std::string* out) { WriteSanList(c, 0x81, "san_email", out); }
void WriteSanUri(const CertView& c, const RecordInput&, std::string* out) { WriteSanList(c, 0x86, "san_uri", out); }

void WriteIsCa(const CertView& c, const RecordInput&, std::string* out) {
  text::AppendJsonKey("is_ca", out);
  out->append(c.is_ca ? "true" : "false");
}

void WriteSctCount(const CertView& c, const RecordInput&, std::string* out) {
  text::AppendJsonKey("sct_count", out);
  uint64_t n = 0;
  if (c.has_sct_list) {
    ByteReader r(c.sct_list);
    std::string_view list, sct;
    if (r.ReadVector(2, &list)) {
      ByteReader items(list);
      while (!items.empty() && items.ReadVector(2, &sct)) ++n;
    }
  }
  text::AppendJsonUint(n, out);
}

void WriteChain(const CertView&, const RecordInput& in, std::string* out) {
  text::AppendJsonKey("chain", out);
  out->push_back('[');
  if (in.chain_sha256) {
    bool first = true;
    for (const Hash256& h : *in.chain_sha256) {
      if (!first) out->push_back(',');
      first = false;
      out->push_back('"');
      out->append(HexEncode(AsView(h)));
      out->push_back('"');
    }
  }
  out->push_back(']');
}

void WriteTbsSha256(const CertView& c, const RecordInput& in, std::string* out) {
  text::AppendJsonKey("tbs_sha256", out);
  Hash256 h;
  std::string_view tbs = !in.signed_tbs.empty() ? in.signed_tbs : c.tbs;
  if (tbs.empty() || !TbsNoCtSha256(tbs, &h)) { out->append("null"); return; }
  out->push_back('"');
  out->append(HexEncode(AsView(h)));
  out->push_back('"');
}

void WriteLeafHash(const CertView&, const RecordInput& in, std::string* out) {
  text::AppendJsonKey("leaf_hash", out);
  if (!in.leaf_hash) { out->append("null"); return; }
  out->push_back('"');
  out->append(Base64Encode(AsView(*in.leaf_hash)));
  out->push_back('"');
}

void WriteOptionalString(const char* key, std::string_view v, std::string* out) {
  text::AppendJsonKey(key, out);
  if (v.empty()) out->append("null");
  else text::AppendJsonString(v, out);
}

void WriteLogId(const CertView&, const RecordInput& in, std::string* out) { WriteOptionalString("log_id", in.log_id, out); }
void WriteLog(const CertView&, const RecordInput& in, std::string* out) { WriteOptionalString("log", in.log_url, out); }

const FieldSpec kFields[] = {
    {kFieldSerial, {"serial", nullptr}, WriteSerial},
    {kFieldSha256, {"sha256", nullptr}, WriteSha256},
    {kFieldKey, {"key_type", "key_bits"}, WriteKey},
    {kFieldSignatureAlgorithm, {"signature_algorithm", nullptr}, WriteSignatureAlgorithm},
    {kFieldSanIp, {"san_ip", nullptr}, WriteSanIp},
    {kFieldSanEmail, {"san_email", nullptr}, WriteSanEmail},
    {kFieldSanUri, {"san_uri", nullptr}, WriteSanUri},
    {kFieldIsCa, {"is_ca", nullptr}, WriteIsCa},
    {kFieldSctCount, {"sct_count", nullptr}, WriteSctCount},
    {kFieldChain, {"chain", nullptr}, WriteChain},
    {kFieldTbsSha256, {"tbs_sha256", nullptr}, WriteTbsSha256},
    {kFieldLeafHash, {"leaf_hash", nullptr}, WriteLeafHash, true},
    {kFieldLogId, {"log_id", nullptr}, WriteLogId, true},
    {kFieldLog, {"log", nullptr}, WriteLog, true},
};

}  // namespace

const FieldSpec* OptInFields(size_t* count) {
  *count = sizeof(kFields) / sizeof(kFields[0]);
  return kFields;
}

void AppendFields(const CertView& cert, const RecordInput& in, FieldSet fields, bool entry_only,
                  std::string* out) {
  if (!fields) return;
  for (const FieldSpec& f : kFields)
    if ((fields & f.bit) && (f.entry || !entry_only)) f.write(cert, in, out);
}

}  // namespace ctdl::x509
