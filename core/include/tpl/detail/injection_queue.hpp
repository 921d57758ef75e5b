// The pool's global queue: work submitted from threads that are not workers of the pool.
//
// A mutex around a std::deque, on purpose. Only external submissions come here (a worker's own
// submissions go to its deque), and workers look here only when their own deque is empty; in
// fork-join workloads that is a handful of items per computation. A relaxed size hint lets the
// hot idle path skip the lock while the queue is empty. Closing (pool shutdown) happens under
// the same mutex as pushing, so a push either lands before the close (and will be drained) or
// is refused: nothing is silently dropped.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

template <class T>
class injection_queue {
 public:
  injection_queue() = default;
  injection_queue(const injection_queue&) = delete;
  injection_queue& operator=(const injection_queue&) = delete;

  // false when the queue is closed; the item was not taken.
  [[nodiscard]] bool push(T item) {
    sync::lock_guard lock(mutex_);
    if (closed_.load()) return false;
    items_.push_back(item);
    // relaxed: a hint. Who needs certainty (a worker about to sleep) reads it after the
    // sleeper's seq_cst fence, which pairs with the fence the pusher's notify runs after
    // this store (idle_sleeper).
    size_hint_.store(static_cast<std::int64_t>(items_.size()), std::memory_order_relaxed);
    return true;
  }

  // How many items wait (for diagnostics snapshots: a moment old).
  [[nodiscard]] std::int64_t size_hint() const {
    // relaxed: a statistic, as in try_pop(); nothing is read through it.
    return size_hint_.load(std::memory_order_relaxed);
  }

  // Oldest first (FIFO).
  [[nodiscard]] std::optional<T> try_pop() {
    // relaxed: a hint (see push); a stale zero is corrected by the sleep protocol's re-check.
    if (size_hint_.load(std::memory_order_relaxed) == 0) return std::nullopt;
    sync::lock_guard lock(mutex_);
    if (items_.empty()) return std::nullopt;
    T item = items_.front();
    items_.pop_front();
    // relaxed: a hint, as in push().
    size_hint_.store(static_cast<std::int64_t>(items_.size()), std::memory_order_relaxed);
    return item;
  }

  // Refuse every later push. Returns false if it was already closed.
  bool close() {
    sync::lock_guard lock(mutex_);
    if (closed_.load()) return false;
    closed_.store(true);
    return true;
  }

 private:
  sync::mutex mutex_;
  std::deque<T> items_;                   // under mutex_
  sync::cell<bool> closed_{false};        // under mutex_
  sync::atomic<std::int64_t> size_hint_{0};  // written under mutex_, read without it
};

}  // namespace tpl::detail
