// Relacy backend: mutex and condition variable over rl::mutex / rl::condition_variable.
#pragma once

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

class mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock(location loc = location::current()) {
    detail::exception_state_guard guard;
    native_.lock(detail::to_debug_info(loc));
  }
  void unlock(location loc = location::current()) {
    detail::exception_state_guard guard;
    native_.unlock(detail::to_debug_info(loc));
  }

 private:
  friend class condition_variable;
  rl::mutex native_;
};

class lock_guard {
 public:
  explicit lock_guard(mutex& m, location loc = location::current()) : mutex_(m) { mutex_.lock(loc); }
  ~lock_guard() { mutex_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  mutex& mutex_;
};

class condition_variable {
 public:
  condition_variable() = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  // Precondition: `held` is locked by the caller. Relacy explores spurious wake-ups too.
  void wait(mutex& held, location loc = location::current()) {
    detail::exception_state_guard guard;
    native_.wait(held.native_, detail::to_debug_info(loc));
  }
  template <class Predicate>
  void wait(mutex& held, Predicate ready, location loc = location::current()) {
    while (!ready()) wait(held, loc);
  }
  // A timed wait: Relacy explores both the wake-up and the time-out, whatever the deadline
  // (models have no clock that advances by itself).
  bool wait_until(mutex& held, std::chrono::steady_clock::time_point deadline, location loc = location::current()) {
    detail::exception_state_guard guard;
    (void)deadline;
    // Relacy's wait_until (without a predicate) returns its wake-up reason converted to bool,
    // so a notified wait reads as `false`; its wait_for compares the reason with success.
    // Both ignore the time.
    return native_.wait_for(held.native_, std::chrono::nanoseconds(1), detail::to_debug_info(loc));
  }
  void notify_one(location loc = location::current()) {
    detail::exception_state_guard guard;
    native_.notify_one(detail::to_debug_info(loc));
  }
  void notify_all(location loc = location::current()) {
    detail::exception_state_guard guard;
    native_.notify_all(detail::to_debug_info(loc));
  }

 private:
  rl::condition_variable native_;
};

}  // namespace tpl::sync
