// Byte helpers: hex, base64, big-endian reads, SHA-1/SHA-256. All pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ctdl {

using Hash256 = std::array<uint8_t, 32>;

// Lowercase hex; with sep != 0 bytes are separated by it ("1d:9d:...").
std::string HexEncode(std::string_view bytes, char sep = 0);
Result<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Strict standard base64 (RFC 4648 section 4) with padding; rejects any other character.
Result<std::string> Base64Decode(std::string_view b64);

Hash256 Sha256(std::string_view bytes);
std::array<uint8_t, 20> Sha1(std::string_view bytes);
inline std::string_view AsView(const Hash256& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// Bounds-checked big-endian reader over a view; never reads past the end.
// The view must outlive the reader and anything it returns.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool ReadUint(size_t nbytes, uint64_t* out);  // nbytes in 1..8
  bool ReadBytes(size_t n, std::string_view* out);
  // TLS-style variable vector: length prefix of len_bytes, then that many bytes.
  bool ReadVector(size_t len_bytes, std::string_view* out);
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  size_t position() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

void AppendUint(std::string* out, size_t nbytes, uint64_t v);  // big-endian

}  // namespace ctdl
