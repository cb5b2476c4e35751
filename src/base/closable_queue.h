// ClosableQueue<T>: the bounded FIFO the stages of a download talk through (doc/download.md).
// A producer blocks while the queue is full, a consumer while it is empty; nothing polls. Close() ends
// the stream: producers are refused at once, consumers drain what is queued and then see the end.
// Cancel() is Close() that also drops what is queued (a consumer gave up: producers must never block
// on it again).
// A slot can be held past Pop (PopHeld ... Release): the capacity then bounds items queued plus items
// being worked on, e.g. one segment written while the next one waits, never two waiting.
// Thread safety: every method may be called from any thread.
// Wake-ups: a waiter is notified after the lock is released (woken under it, it would only block again
// on the mutex: two more futex calls and a context switch per hand-over), and only when one waits.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ctdl {

template <typename T>
class ClosableQueue {
 public:
  explicit ClosableQueue(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}
  ClosableQueue(const ClosableQueue&) = delete;
  ClosableQueue& operator=(const ClosableQueue&) = delete;

  // Waits for room. False (item dropped) when the queue is closed, before or while waiting.
  bool Push(T item) {
    std::unique_lock<std::mutex> l(mu_);
    Wait(l, not_full_, producers_waiting_, [&] { return closed_ || items_.size() + held_ < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    const bool wake = consumers_waiting_ > 0;
    l.unlock();
    if (wake) not_empty_.notify_one();
    return true;
  }

  // Waits for an item. nullopt once the queue is closed and drained.
  std::optional<T> Pop() { return Take(false); }
  // Pop, but the item keeps its slot until Release() (call it exactly once per item popped so).
  std::optional<T> PopHeld() { return Take(true); }
  void Release() {
    std::unique_lock<std::mutex> l(mu_);
    if (held_ > 0) --held_;
    const bool wake = producers_waiting_ > 0;
    l.unlock();
    if (wake) not_full_.notify_one();
  }

  void Close() {
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  void Cancel() {
    std::deque<T> dropped;  // destroyed outside the lock
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
      dropped.swap(items_);
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool closed() const {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> l(mu_);
    return items_.size();
  }

 private:
  std::optional<T> Take(bool hold) {
    std::unique_lock<std::mutex> l(mu_);
    Wait(l, not_empty_, consumers_waiting_, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    if (hold) {
      ++held_;
      return item;
    }
    const bool wake = producers_waiting_ > 0;
    l.unlock();
    if (wake) not_full_.notify_one();
    return item;
  }

  // cv.wait(l, ready), counted in `waiting` while blocked (read under the lock by the notifiers).
  template <typename Ready>
  static void Wait(std::unique_lock<std::mutex>& l, std::condition_variable& cv, size_t& waiting,
                   Ready ready) {
    while (!ready()) {
      ++waiting;
      cv.wait(l);
      --waiting;
    }
  }

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  size_t held_ = 0;
  size_t producers_waiting_ = 0;  // in Push, for room
  size_t consumers_waiting_ = 0;  // in Pop / PopHeld, for an item
  bool closed_ = false;
};

}  // namespace ctdl
