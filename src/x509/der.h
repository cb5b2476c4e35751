// Zero-copy, bounds-checked DER reader. Views returned point into the input; the input must outlive
// them. Never reads past the end; every malformed encoding is reported, never trusted.
// Thread safety: a Reader is a value type with no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ctdl::der {

// Universal tags (identifier octets as they appear on the wire).
enum Tag : uint8_t {
  kBoolean = 0x01,
  kInteger = 0x02,
  kBitString = 0x03,
  kOctetString = 0x04,
  kNull = 0x05,
  kOid = 0x06,
  kUtf8String = 0x0c,
  kNumericString = 0x12,
  kPrintableString = 0x13,
  kT61String = 0x14,
  kIa5String = 0x16,
  kUtcTime = 0x17,
  kGeneralizedTime = 0x18,
  kVisibleString = 0x1a,
  kUniversalString = 0x1c,
  kBmpString = 0x1e,
  kSequence = 0x30,
  kSet = 0x31,
};
constexpr uint8_t ContextPrimitive(int n) { return uint8_t(0x80 | n); }
constexpr uint8_t ContextConstructed(int n) { return uint8_t(0xa0 | n); }

struct Tlv {
  uint8_t tag = 0;         // identifier octet (low-tag-number form only)
  std::string_view value;  // contents octets
  std::string_view full;   // identifier + length + contents
};

// Why a read failed (static strings, suitable for lint findings).
enum class Error : uint8_t { kNone, kTruncated, kHighTag, kIndefinite, kNonMinimalLength, kLengthOverrun, kTooLong };
const char* ErrorText(Error e);

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  // Reads the next TLV. On failure returns false, sets error() and leaves the reader at the end.
  inline bool Next(Tlv* out);
  // Reads the next TLV and requires its tag; on a tag mismatch returns false without consuming
  // (error() == kNone, so callers can tell "other tag" from "malformed").
  bool Expect(uint8_t tag, Tlv* out) { return PeekTag() == tag && Next(out); }
  // Reads the next TLV only if its identifier equals tag; false (nothing consumed) otherwise.
  bool Optional(uint8_t tag, Tlv* out, bool* present) {
    *present = false;
    if (PeekTag() != tag) return true;
    if (!Next(out)) return false;
    *present = true;
    return true;
  }
  // Identifier octet of the next element, or -1 at the end.
  int PeekTag() const { return pos_ < data_.size() ? uint8_t(data_[pos_]) : -1; }
  bool empty() const { return pos_ >= data_.size(); }
  Error error() const { return error_; }
  std::string_view rest() const { return data_.substr(pos_ < data_.size() ? pos_ : data_.size()); }

 private:
  bool Fail(Error e);  // sets error_, moves to the end, returns false

  std::string_view data_;
  size_t pos_ = 0;
  Error error_ = Error::kNone;
};

// Inline: it runs for every TLV of every certificate (a few hundred per entry).
inline bool Reader::Next(Tlv* out) {
  if (error_ != Error::kNone) return false;
  const size_t n = data_.size();
  size_t p = pos_;
  if (p >= n) return Fail(Error::kTruncated);
  const uint8_t tag = uint8_t(data_[p++]);
  if ((tag & 0x1f) == 0x1f) return Fail(Error::kHighTag);
  if (p >= n) return Fail(Error::kTruncated);
  const uint8_t l0 = uint8_t(data_[p++]);
  size_t len;
  if (l0 < 0x80) {
    len = l0;
  } else if (l0 == 0x80) {
    return Fail(Error::kIndefinite);
  } else {
    const size_t nb = l0 & 0x7f;
    if (nb > 4) return Fail(Error::kTooLong);
    if (n - p < nb) return Fail(Error::kTruncated);
    len = 0;
    for (size_t i = 0; i < nb; ++i) len = (len << 8) | uint8_t(data_[p + i]);
    if (uint8_t(data_[p]) == 0 || len < 0x80) return Fail(Error::kNonMinimalLength);
    p += nb;
  }
  if (n - p < len) return Fail(Error::kLengthOverrun);
  out->tag = tag;
  out->value = std::string_view(data_.data() + p, len);
  out->full = std::string_view(data_.data() + pos_, p + len - pos_);
  pos_ = p + len;
  return true;
}

// True when the bytes are exactly one well-formed DER TLV tree (constructed elements walked
// recursively up to a depth limit), with nothing after it.
bool IsWellFormed(std::string_view data, int max_depth = 32);

// INTEGER contents: non-empty and minimally encoded.
bool IsMinimalInteger(std::string_view v);
// Non-negative INTEGER that fits in uint64.
bool ParseUint64(std::string_view v, uint64_t* out);

// OID contents -> dotted string ("2.5.4.3") appended to *out. False when malformed (empty, non-minimal
// sub-identifier, truncated, arc over 64 bits); *out is then unchanged.
bool AppendOidDotted(std::string_view oid, std::string* out);
// The same validity check without formatting (no allocation).
bool IsValidOid(std::string_view oid);

}  // namespace ctdl::der
