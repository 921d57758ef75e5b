// One timer thread for the whole process: a queue of deadlines ordered by time, and a
// condition variable to sleep until the earliest. When a timer is due its callback is handed to
// the default pool, so user code (a cancel_after's cancel(), and later delay()'s completion)
// never runs on the timer thread and a slow callback cannot delay other timers.
//
// Not lock-free, and does not need to be: scheduling and cancelling a timer are rare next to
// what they time, and the thread sleeps on a condition variable between deadlines (no CPU).
// Only at process exit, when the default pool refuses work, does a due callback run on the
// timer thread itself, so that it is not lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace tpl::detail {

class timer_service {
 public:
  using clock = std::chrono::steady_clock;
  using timer_id = std::uint64_t;  // never 0

  // The process-wide service, started on first use.
  static timer_service& instance();

  timer_service();
  ~timer_service();
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  // Runs `expiry` on the default pool at `due` (at once if `due` has passed).
  timer_id schedule(clock::time_point due, std::function<void()> expiry);
  // true: the timer had not fired and now never will (its callback is destroyed here).
  bool cancel(timer_id id);

  // Timers waiting (for tests).
  [[nodiscard]] std::size_t pending() const;

 private:
  void run();

  using key = std::pair<clock::time_point, timer_id>;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<key, std::function<void()>> by_deadline_;        // under mutex_
  std::unordered_map<timer_id, clock::time_point> due_of_;  // under mutex_
  timer_id next_id_ = 1;                                    // under mutex_
  bool stopping_ = false;                                   // under mutex_
  std::thread thread_;
};

}  // namespace tpl::detail
