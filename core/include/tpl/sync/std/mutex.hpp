// Production backend: mutex and condition variable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "tpl/sync/location.hpp"
#include "tpl/sync/tsan.hpp"

namespace tpl::sync {

class mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  ~mutex() { TPL_TSAN_MUTEX_DESTROYED(&native_); }  // tsan.hpp, point 3

  void lock(location = location::current()) { native_.lock(); }
  void unlock(location = location::current()) noexcept { native_.unlock(); }

 private:
  friend class condition_variable;
  std::mutex native_;
};

// RAII lock over sync::mutex (both backends provide it so algorithm code can use one name).
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

  // Precondition: `held` is locked by the caller. Returns with it locked again. May wake
  // spuriously, like std::condition_variable::wait: callers loop on their predicate.
  void wait(mutex& held, location = location::current()) {
    std::unique_lock<std::mutex> lock(held.native_, std::adopt_lock);
    native_.wait(lock);
    lock.release();  // ownership stays with the caller
  }
  template <class Predicate>
  void wait(mutex& held, Predicate ready, location loc = location::current()) {
    while (!ready()) wait(held, loc);
  }
  // As wait(), but returns by `deadline` at the latest: false if it returned because the
  // deadline passed (the caller rechecks its predicate either way).
  bool wait_until(mutex& held, std::chrono::steady_clock::time_point deadline, location = location::current()) {
    std::unique_lock<std::mutex> lock(held.native_, std::adopt_lock);
    const bool notified = native_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }
  void notify_one(location = location::current()) noexcept { native_.notify_one(); }
  void notify_all(location = location::current()) noexcept { native_.notify_all(); }

 private:
  std::condition_variable native_;
};

}  // namespace tpl::sync
