// BufferPool: byte buffers (std::string with their capacity) handed back after use and given out
// again, so a fast download does not map, fault in and unmap fresh pages for every reply body (glibc
// serves blocks above its mmap threshold, 512 KB here, with a fresh mmap each time: measured, page
// faults and munmap were ~20 % of ctdl's CPU on the get-entries fast path; bench/analysis.md).
// Bounded: it keeps at most `max_buffers` buffers and `max_bytes` of capacity in all; whatever does
// not fit is freed, so idle memory never exceeds max_bytes (peak RSS stays what the buffers in use
// need, plus at most that).
// Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace ctdl {

class BufferPool {
 public:
  BufferPool(size_t max_buffers, size_t max_bytes) : max_buffers_(max_buffers), max_bytes_(max_bytes) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty string; a kept buffer when there is one (the smallest holding `want` bytes, else the
  // largest), its capacity then at least `want` (want 0: any). A buffer that has to be allocated (or
  // grown) gets WithHeadroom(want): replies of one log differ in size by a few percent, and a kept
  // buffer just too small for the next reply was freed and a fresh one mapped and faulted in (an RFC
  // 6962 download of 200k entries: a fresh 2.4 MB body mapped, and one unmapped, every ~50 ms).
  std::string Get(size_t want = 0);
  // want + 1/8, in 64 KiB steps (want below 64 KiB: want).
  static size_t WithHeadroom(size_t want);
  // Hands a buffer back (its contents are dropped). Kept if it fits the bounds, else freed.
  void Put(std::string&& buffer);

  size_t kept_buffers() const;
  size_t kept_bytes() const;

  // The process's pool for HTTP reply bodies (net/ fills them, the decoders hand them back):
  // 16 buffers, 64 MiB (RFC 6962 at 64 in flight: ~2k fewer page faults per 200k entries than 8 / 32 MiB,
  // peak RSS the same).
  static BufferPool& Replies();

 private:
  const size_t max_buffers_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::vector<std::string> kept_;
  size_t bytes_ = 0;
};

}  // namespace ctdl
