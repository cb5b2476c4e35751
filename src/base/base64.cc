#include "base/base64.h"

#include <array>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ctdl {
namespace {

constexpr uint32_t kBad = 0x80000000u;

const std::array<uint32_t, 256>& Table() {
  static const auto t = [] {
    std::array<uint32_t, 256> t{};
    t.fill(kBad);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (uint32_t i = 0; i < 64; ++i) t[uint8_t(a[i])] = i;
    return t;
  }();
  return t;
}

// Quads [0, full) of p (no padding in them) into o; false on a bad character.
bool DecodeQuads(const uint8_t* p, size_t full, char* o) {
  const auto& t = Table();
  for (size_t i = 0; i < full; ++i, p += 4, o += 3) {
    uint32_t a = t[p[0]], b = t[p[1]], c = t[p[2]], d = t[p[3]];
    if ((a | b | c | d) & kBad) return false;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    o[0] = char(v >> 16);
    o[1] = char(v >> 8);
    o[2] = char(v);
  }
  return true;
}

// The last quad when it is padded ("xx==" or "xxx="); o has room for 3 bytes.
bool DecodePadded(const uint8_t* p, size_t pad, char* o) {
  const auto& t = Table();
  uint32_t a = t[p[0]], b = t[p[1]];
  uint32_t c = pad == 2 ? 0 : t[p[2]];
  if ((a | b | c) & kBad) return false;
  uint32_t v = a << 18 | b << 12 | c << 6;
  o[0] = char(v >> 16);
  o[1] = char(v >> 8);
  return true;
}

#if defined(__x86_64__)
// 32 characters -> 24 bytes per step (W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding
// using AVX2 Instructions", 2018: nibble lookup tables for validation and translation, then
// multiply-add to pack 6-bit values). Writes 32 bytes per step (8 of slack), so the caller keeps
// `room` >= 32 past each step's output. Returns the quads done, or SIZE_MAX on a bad character.
__attribute__((target("avx2"))) size_t DecodeAvx2Blocks(const uint8_t* p, size_t full, char* o,
                                                        size_t room) {
  const __m256i lut_lo = _mm256_setr_epi8(
      0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A,
      0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(
      0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
      0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2F);
  const __m256i pack_bytes = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                              2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i pack_lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  size_t done = 0;
  while (full - done >= 8 && room >= done * 3 + 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + done * 4));
    __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(s, 4), mask_2f);
    __m256i lo_nibbles = _mm256_and_si256(s, mask_2f);
    __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nibbles);
    __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nibbles);
    if (!_mm256_testz_si256(lo, hi)) return SIZE_MAX;
    __m256i eq_2f = _mm256_cmpeq_epi8(s, mask_2f);
    __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nibbles));
    __m256i v = _mm256_add_epi8(s, roll);
    __m256i ab_bc = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
    __m256i out = _mm256_madd_epi16(ab_bc, _mm256_set1_epi32(0x00011000));
    out = _mm256_shuffle_epi8(out, pack_bytes);
    out = _mm256_permutevar8x32_epi32(out, pack_lanes);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + done * 3), out);
    done += 8;
  }
  return done;
}
#endif

// Shared frame: checks the length, finds the padding, sizes *out, runs `blocks` (the SIMD part; may
// do none), then the scalar quads and the padded tail.
template <typename Blocks>
bool Decode(std::string_view in, std::string* out, Blocks blocks) {
  if (in.size() % 4) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = in[in.size() - 2] == '=' ? 2 : 1;
  size_t quads = in.size() / 4, full = quads - (pad ? 1 : 0);
  size_t base = out->size();
  out->resize(base + quads * 3);
  char* o = out->data() + base;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t done = blocks(p, full, o, quads * 3);
  if (done == SIZE_MAX) return false;
  if (!DecodeQuads(p + done * 4, full - done, o + done * 3)) return false;
  if (pad) {
    if (!DecodePadded(p + full * 4, pad, o + full * 3)) return false;
    out->resize(out->size() - pad);
  }
  return true;
}

size_t NoBlocks(const uint8_t*, size_t, char*, size_t) { return 0; }

}  // namespace

bool CpuHasAvx2() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
#else
  return false;
#endif
}

bool Base64DecodeAppendScalar(std::string_view in, std::string* out) { return Decode(in, out, NoBlocks); }

bool Base64DecodeAppendAvx2(std::string_view in, std::string* out) {
#if defined(__x86_64__)
  if (CpuHasAvx2()) return Decode(in, out, DecodeAvx2Blocks);
#endif
  (void)in;
  (void)out;
  return false;
}

bool Base64DecodeAppend(std::string_view in, std::string* out) {
  return CpuHasAvx2() ? Base64DecodeAppendAvx2(in, out) : Base64DecodeAppendScalar(in, out);
}

}  // namespace ctdl
