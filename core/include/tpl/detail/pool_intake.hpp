// How work enters a pool from outside and how a pool stops taking it: the injection queue, the
// idle sleeper and the stopping flag, with the two operations that must keep them in step.
// thread_pool uses exactly this; models/model_pool_sleep.cpp checks exactly this.
#pragma once

#include "tpl/detail/idle_sleeper.hpp"
#include "tpl/detail/injection_queue.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

template <class T>
class pool_intake {
 public:
  // Queue `item` and wake a sleeping worker. false: the pool is shutting down; not queued.
  [[nodiscard]] bool submit(T item) {
    if (!queue_.push(item)) return false;
    sleeper_.notify_one();
    return true;
  }

  // Refuse further submissions, then let every worker see it: workers drain what was queued
  // before (their give-up check is stopping(), followed by one last look) and exit.
  void begin_shutdown() {
    (void)queue_.close();
    // release: pairs with the acquire load in stopping(): a worker that sees the flag sees
    // every push that preceded the close (and so finds it in its last look).
    stopping_.store(true, std::memory_order_release);
    sleeper_.wake_all_unconditionally();
  }

  [[nodiscard]] bool stopping() const {
    // acquire: pairs with the release store in begin_shutdown().
    return stopping_.load(std::memory_order_acquire);
  }

  injection_queue<T>& queue() noexcept { return queue_; }
  idle_sleeper& sleeper() noexcept { return sleeper_; }

 private:
  injection_queue<T> queue_;
  idle_sleeper sleeper_;
  sync::atomic<bool> stopping_{false};
};

}  // namespace tpl::detail
