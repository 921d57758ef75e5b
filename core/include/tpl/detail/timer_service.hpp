// One timer thread for the whole process: a queue of deadlines ordered by time, and a
// condition variable to sleep until the earliest. When a timer is due its callback is handed to
// the default pool, so user code (a cancel_after's cancel(), and later delay()'s completion)
// never runs on the timer thread and a slow callback cannot delay other timers.
//
// Not lock-free, and does not need to be: scheduling and cancelling a timer are rare next to
// what they time, and the thread sleeps on a condition variable between deadlines (no CPU).
// Only if the default pool was shut down (it refuses work) does a due callback run on the
// timer thread itself, so that it is not lost. The process-wide instance is never destroyed;
// its thread stops at exit, before the default pool is destroyed, and schedule() then returns
// 0 and drops the callback.
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

// now() + delay, saturated: a delay too long to represent (milliseconds::max()) waits for ever
// instead of overflowing into the past.
template <class Rep, class Period>
std::chrono::steady_clock::time_point saturating_deadline(std::chrono::duration<Rep, Period> delay) {
  using clock = std::chrono::steady_clock;
  const clock::time_point now = clock::now();
  const auto room = std::chrono::duration_cast<std::chrono::duration<double>>(clock::time_point::max() - now);
  if (std::chrono::duration_cast<std::chrono::duration<double>>(delay) >= room) return clock::time_point::max();
  return now + std::chrono::ceil<clock::duration>(delay);
}

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

  // Runs `expiry` on the default pool at `due` (at once if `due` has passed). Returns 0 (and
  // drops `expiry`) once the service has stopped at process exit.
  timer_id schedule(clock::time_point due, std::function<void()> expiry);
  // true: the timer had not fired and now never will (its callback is destroyed here).
  bool cancel(timer_id id);

  // Timers waiting (for tests).
  [[nodiscard]] std::size_t pending() const;

  // Stops the thread (at exit); later schedule() calls return 0.
  void stop();

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
