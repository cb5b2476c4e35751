// Fast strict base64 decoding for the hot path (get-entries leaf_input / extra_data are most of a
// reply). Accepts exactly what base/bytes.h Base64Decode accepts (standard alphabet, '=' padding only
// at the end, length a multiple of 4) and gives the same bytes; it only says no, without a message
// (ask Base64Decode for one). With AVX2 (checked at run time) 32 characters are decoded per step;
// otherwise, and for the tail, one table lookup per character. Thread-safe, no allocation beyond *out.
#pragma once

#include <string>
#include <string_view>

namespace ctdl {

// Appends the decoded bytes of `in` to *out; false (and *out unspecified beyond its old size) on
// any invalid input.
bool Base64DecodeAppend(std::string_view in, std::string* out);

// The one-table scalar path alone, and the AVX2 path (false when the CPU has no AVX2): for tests
// that cross-check them and for the micro-benchmarks.
bool Base64DecodeAppendScalar(std::string_view in, std::string* out);
bool Base64DecodeAppendAvx2(std::string_view in, std::string* out);
bool CpuHasAvx2();

}  // namespace ctdl
