// The pool's global queue: work submitted from threads that are not workers of the pool.
//
// A mutex around an intrusive FIFO list, on purpose. Only external submissions come here (a
// worker's own submissions go to its deque), and workers look here only when their own deque is
// empty; in fork-join workloads that is a handful of items per computation. A relaxed size hint
// lets the hot idle path skip the lock while the queue is empty. Closing (pool shutdown) happens
// under the same mutex as pushing, so a push either lands before the close (and will be
// drained) or is refused: nothing is silently dropped.
//
// Intrusive (each item carries its own `next_in_queue` link) so that a push never allocates: a
// resumption queued from a noexcept path (a stream's close() waking its pending operation) must
// not fail for want of memory, nor run inline on the wrong thread (issue 30, finding 2; a
// std::deque here allocated a block every 64 items).
#pragma once

#include <cstdint>
#include <optional>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

// `T`: a pointer to a node with a member `T next_in_queue`, which the queue owns while the item
// is queued.
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
    item->next_in_queue = nullptr;
    if (T last = newest_.load()) {
      last->next_in_queue = item;
    } else {
      oldest_.store(item);
    }
    newest_.store(item);
    const std::int64_t size = size_.load() + 1;
    size_.store(size);
    // relaxed: a hint. Who needs certainty (a worker about to sleep) reads it after the
    // sleeper's seq_cst fence, which pairs with the fence the pusher's notify runs after
    // this store (idle_sleeper).
    size_hint_.store(size, std::memory_order_relaxed);
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
    T item = oldest_.load();
    if (item == nullptr) return std::nullopt;
    oldest_.store(item->next_in_queue);
    if (item->next_in_queue == nullptr) newest_.store(nullptr);
    item->next_in_queue = nullptr;
    const std::int64_t size = size_.load() - 1;
    size_.store(size);
    // relaxed: a hint, as in push().
    size_hint_.store(size, std::memory_order_relaxed);
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
  sync::cell<T> oldest_{nullptr};         // under mutex_; the next to pop
  sync::cell<T> newest_{nullptr};         // under mutex_; the last pushed
  sync::cell<std::int64_t> size_{0};      // under mutex_
  sync::cell<bool> closed_{false};        // under mutex_
  sync::atomic<std::int64_t> size_hint_{0};  // written under mutex_, read without it
};

}  // namespace tpl::detail
