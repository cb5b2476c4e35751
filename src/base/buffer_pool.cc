#include "base/buffer_pool.h"

#include <utility>

namespace ctdl {

std::string BufferPool::Get(size_t want) {
  std::string out;
  {
    std::lock_guard<std::mutex> l(mu_);
    size_t best = kept_.size();
    for (size_t i = 0; i < kept_.size(); ++i) {
      size_t cap = kept_[i].capacity();
      if (best == kept_.size()) {
        best = i;
        continue;
      }
      size_t best_cap = kept_[best].capacity();
      bool fits = cap >= want, best_fits = best_cap >= want;
      if ((fits && (!best_fits || cap < best_cap)) || (!fits && !best_fits && cap > best_cap)) best = i;
    }
    if (best < kept_.size()) {
      out = std::move(kept_[best]);
      kept_[best] = std::move(kept_.back());
      kept_.pop_back();
      bytes_ -= out.capacity();
    }
  }
  if (out.capacity() < want) out.reserve(WithHeadroom(want));
  return out;
}

size_t BufferPool::WithHeadroom(size_t want) {
  constexpr size_t kStep = 64 * 1024;
  if (want < kStep) return want;
  size_t w = want + want / 8;
  return w / kStep * kStep + (w % kStep ? kStep : 0);
}

void BufferPool::Put(std::string&& buffer) {
  std::string b = std::move(buffer);  // the caller's string is empty afterwards, whatever happens
  b.clear();
  size_t cap = b.capacity();
  if (cap <= sizeof(std::string)) return;  // small-string storage: nothing worth keeping
  std::lock_guard<std::mutex> l(mu_);
  if (kept_.size() >= max_buffers_ || bytes_ + cap > max_bytes_) return;  // freed on return
  bytes_ += cap;
  kept_.push_back(std::move(b));
}

size_t BufferPool::kept_buffers() const {
  std::lock_guard<std::mutex> l(mu_);
  return kept_.size();
}

size_t BufferPool::kept_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_;
}

BufferPool& BufferPool::Replies() {
  static BufferPool* pool = new BufferPool(16, size_t{64} << 20);  // never destroyed (threads at exit)
  return *pool;
}

}  // namespace ctdl
