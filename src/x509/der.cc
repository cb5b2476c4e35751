#include "x509/der.h"

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

namespace ctdl::der {

const char* ErrorText(Error e) {
  switch (e) {
    case Error::kNone: return "ok";
    case Error::kTruncated: return "truncated";
    case Error::kHighTag: return "high tag number form not supported";
    case Error::kIndefinite: return "indefinite length";
    case Error::kNonMinimalLength: return "non-minimal length";
    case Error::kLengthOverrun: return "length overrun";
    case Error::kTooLong: return "length too large";
  }
  return "unknown";
}

bool Reader::Fail(Error e) {
  error_ = e;
  pos_ = data_.size();
  return false;
}

static bool WellFormed(std::string_view data, int depth) {
  Reader r(data);
  while (!r.empty()) {
    Tlv t;
    if (!r.Next(&t)) return false;
    if (t.tag & 0x20) {
      if (depth <= 0 || !WellFormed(t.value, depth - 1)) return false;
    }
  }
  return true;
}

bool IsWellFormed(std::string_view data, int max_depth) {
  Reader r(data);
  Tlv t;
  if (!r.Next(&t) || !r.empty()) return false;
  return !(t.tag & 0x20) || WellFormed(t.value, max_depth);
}

bool IsMinimalInteger(std::string_view v) {
  if (v.empty()) return false;
  if (v.size() == 1) return true;
  uint8_t b0 = uint8_t(v[0]), b1 = uint8_t(v[1]);
  if (b0 == 0x00 && !(b1 & 0x80)) return false;
  if (b0 == 0xff && (b1 & 0x80)) return false;
  return true;
}

bool ParseUint64(std::string_view v, uint64_t* out) {
  if (!IsMinimalInteger(v) || (uint8_t(v[0]) & 0x80)) return false;
  if (v[0] == 0) v.remove_prefix(1);
  if (v.size() > 8) return false;
  uint64_t x = 0;
  for (char c : v) x = (x << 8) | uint8_t(c);
  *out = x;
  return true;
}

namespace {
// Arbitrary-precision unsigned decimal accumulator (little-endian base-1e9 limbs).
struct BigDec {
  std::vector<uint32_t> limbs{0};
  void MulAdd(uint32_t mul, uint32_t add) {
    uint64_t carry = add;
    for (auto& l : limbs) {
      uint64_t v = uint64_t(l) * mul + carry;
      l = uint32_t(v % 1000000000u);
      carry = v / 1000000000u;
    }
    while (carry) {
      limbs.push_back(uint32_t(carry % 1000000000u));
      carry /= 1000000000u;
    }
  }
  bool LessThan(uint32_t v) const { return limbs.size() == 1 && limbs[0] < v; }
  void Sub(uint32_t v) {  // requires *this >= v
    int64_t borrow = v;
    for (auto& l : limbs) {
      int64_t x = int64_t(l) - borrow;
      borrow = 0;
      if (x < 0) {
        x += 1000000000;
        borrow = 1;
      }
      l = uint32_t(x);
      if (!borrow) break;
    }
    while (limbs.size() > 1 && limbs.back() == 0) limbs.pop_back();
  }
  void AppendTo(std::string* out) const {
    out->append(std::to_string(limbs.back()));
    char buf[16];
    for (size_t i = limbs.size() - 1; i-- > 0;) {
      std::snprintf(buf, sizeof buf, "%09u", limbs[i]);
      out->append(buf);
    }
  }
};
}  // namespace

bool IsValidOid(std::string_view oid) {
  // pyca (rust asn1) refuses empty OIDs and OIDs longer than 63 content octets.
  if (oid.empty() || oid.size() > 63) return false;
  if (uint8_t(oid.back()) & 0x80) return false;  // truncated sub-identifier
  bool start = true;
  for (char c : oid) {
    if (start && uint8_t(c) == 0x80) return false;  // non-minimal sub-identifier
    start = !(uint8_t(c) & 0x80);
  }
  return true;
}

bool AppendOidDotted(std::string_view oid, std::string* out) {
  if (!IsValidOid(oid)) return false;
  // Fast path: every arc fits in 64 bits (sub-identifiers of at most 9 octets).
  {
    char buf[64 * 21];
    size_t n = 0;
    bool first = true, fits = true;
    size_t i = 0;
    while (i < oid.size() && fits) {
      uint64_t v = 0;
      size_t len = 0;
      while (true) {
        uint8_t b = uint8_t(oid[i++]);
        if (++len > 9) {
          fits = false;
          break;
        }
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80)) break;
      }
      if (!fits) break;
      if (first) {
        uint64_t a = v < 40 ? 0 : v < 80 ? 1 : 2;
        buf[n++] = char('0' + a);
        buf[n++] = '.';
        v -= a * 40;
        first = false;
      } else {
        buf[n++] = '.';
      }
      // std::to_chars, not snprintf: this runs for every OID of every certificate (2.8 % of a
      // file:// download's CPU went to vfprintf here). 63 octets give at most 63 arcs of 21 chars.
      auto [end, ec] = std::to_chars(buf + n, buf + sizeof buf, v);
      if (ec != std::errc()) {
        fits = false;
        break;
      }
      n = static_cast<size_t>(end - buf);
    }
    if (fits) {
      out->append(buf, n);
      return true;
    }
  }
  std::string s;
  bool first = true;
  size_t i = 0;
  while (i < oid.size()) {
    if (uint8_t(oid[i]) == 0x80) return false;  // non-minimal sub-identifier
    BigDec v;
    while (true) {
      uint8_t b = uint8_t(oid[i++]);
      v.MulAdd(128, b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (first) {
      if (v.LessThan(40)) {
        s += "0.";
      } else if (v.LessThan(80)) {
        s += "1.";
        v.Sub(40);
      } else {
        s += "2.";
        v.Sub(80);
      }
      first = false;
    } else {
      s += '.';
    }
    v.AppendTo(&s);
  }
  out->append(s);
  return true;
}

}  // namespace ctdl::der
