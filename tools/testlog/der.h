// Minimal DER writer and deterministic PRNG for ctdl-testlog's certificate generator.
// Everything here builds bytes into std::string; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace testlog {

// ASN.1 tags used by the generator.
enum Tag : uint8_t {
  kBoolean = 0x01,
  kInteger = 0x02,
  kBitString = 0x03,
  kOctetString = 0x04,
  kNull = 0x05,
  kOid = 0x06,
  kUtf8String = 0x0c,
  kPrintableString = 0x13,
  kTeletexString = 0x14,
  kIa5String = 0x16,
  kUtcTime = 0x17,
  kGeneralizedTime = 0x18,
  kUniversalString = 0x1c,
  kBmpString = 0x1e,
  kSequence = 0x30,
  kSet = 0x31,
};

// tag || DER length || content.
std::string Tlv(uint8_t tag, std::string_view content);
inline std::string Seq(std::string_view c) { return Tlv(kSequence, c); }
inline std::string Set(std::string_view c) { return Tlv(kSet, c); }
// Dotted OID string ("1.2.840.10045.2.1") to DER (tag included).
std::string Oid(std::string_view dotted);
// Unsigned big-endian magnitude to a DER INTEGER (adds a leading zero when the high bit is set,
// strips redundant leading zeros).
std::string IntegerFromBytes(std::string_view magnitude);
std::string Integer(uint64_t v);
std::string BitString(std::string_view bytes);  // no unused bits
// SET OF with DER ordering (elements sorted by their encodings).
std::string SetOf(std::vector<std::string> elements);
// UCS-2 / UCS-4 big-endian from UTF-8 (BMP/Universal strings); ASCII and 2/3/4-byte UTF-8 handled.
std::string Utf8ToUcs(std::string_view utf8, int width);
// Returns the content (value) of the first TLV in der, or empty on malformed input.
std::string_view TlvContent(std::string_view der);
// Splits the content of a SEQUENCE into its element TLVs (whole encodings); empty on error.
std::vector<std::string_view> SeqElements(std::string_view content);

// splitmix64-seeded xoshiro256**: fast, deterministic, not cryptographic.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  uint64_t Below(uint64_t n) { return n ? Next() % n : 0; }
  double Unit() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
  bool Chance(double p) { return Unit() < p; }
  std::string Bytes(size_t n);
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t s_[4];
};

// Stateless mix of (seed, n) for deterministic per-request decisions.
uint64_t Mix(uint64_t seed, uint64_t n);

}  // namespace testlog
