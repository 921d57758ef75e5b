// The process's timers: a queue of deadlines ordered by time, with no thread of its own. The
// process reactor (process_reactor.hpp) owns it: the pool worker that holds the poller role waits
// in the kernel until the earliest deadline at most, then calls fire_due(); a busy worker calls
// it every config::io_poll_interval items (issue 30: "timers live in the same reactor"). A due
// callback is handed to the default pool, so user code (a cancel_after's cancel(), delay()'s
// completion) never runs in the poller's turn and a slow callback cannot delay other timers.
//
// Each queued timer counts as a pending wait of the reactor (io_poller::wait_registered /
// wait_left), so an idle worker takes the poller role while any timer is queued, and sleeps as
// before once none is. schedule() that finds nobody polling wakes a worker to take the role;
// one that makes a new earliest deadline while somebody polls interrupts its kernel wait (the
// poller reads the earliest deadline under the lock, after taking the role: either it sees the
// new timer, or the scheduler sees the role taken and interrupts it).
//
// The rule that keeps it deadlock-free: nothing user-reachable is run or destroyed under the
// timer's lock. A callback may own the last reference to anything (a delay's state, whose
// destruction unregisters a cancellation callback and waits for it if it is running; that
// callback may itself be calling cancel() here, which takes the lock). So every callback leaves
// the maps by being *moved out* under the lock and is run or destroyed after the unlock:
// cancel() destroys what it disarmed after unlocking, fire_due() hands each one over and drops
// it after unlocking, stop() drops what is left after unlocking. The two maps change together
// or not at all (schedule() undoes its first insertion if the second one throws).
//
// Not lock-free, and does not need to be: scheduling and cancelling a timer are rare next to
// what they time. The queue is written against tpl::sync, so models/model_timer.cpp runs this
// code (schedule, cancel, fire_due, stop) under Relacy, with fire_due driven by a model thread
// in place of the poller and no reactor attached.
//
// The process-wide instance (instance(), defined in core/src/process_reactor.cpp; a model
// defines its own) is never destroyed. At exit the default pool's exit handler stops it first and
// every pending timer is dropped (a delay ends faulted with broken_promise instead of never),
// then the pool drains: docs/pool.md gives the whole shutdown order.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>

#include "tpl/detail/io_poller.hpp"
#include "tpl/sync/sync.hpp"

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
  using callback = std::function<void()>;
  // Where a due callback goes (production: the default pool). Called outside the lock; it may
  // take the callback (move from it) or leave it to be destroyed after it returns.
  using dispatcher = void (*)(callback& due);

  // The process-wide service, started on first use.
  static timer_service& instance();
  // Process exit (the default pool's exit handler, before it drains): stops the process-wide
  // service if it exists, and makes one created later start stopped.
  static void stop_at_exit();

  // Wakes some pool's idle worker to take the poller role (production: thread_pool.cpp's
  // wake_a_worker_to_poll).
  using poller_waker = void (*)() noexcept;

  // `reactor`: the process reactor whose pending-wait count and poller this queue drives, or
  // nullptr (a model's queue, driven by hand).
  explicit timer_service(dispatcher dispatch, io_poller* reactor = nullptr, poller_waker wake_a_poller = nullptr)
      : dispatch_(dispatch), reactor_(reactor), wake_a_poller_(wake_a_poller) {}
  ~timer_service() { stop(); }
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  // Hands `expiry` to the dispatcher at `due` (at once if `due` has passed). Returns 0 (and
  // drops `expiry`, in the caller, outside the lock) once the service has stopped.
  timer_id schedule(clock::time_point due, callback expiry) {
    timer_id id = 0;
    bool new_earliest = false;
    bool nobody_polls = false;
    {
      sync::lock_guard lock(mutex_);
      if (stopping_) return 0;
      id = next_id_++;
      // A failed insertion leaves `expiry` with the caller (std::map builds the node first).
      const auto entry = by_deadline_.emplace(key{due, id}, std::move(expiry)).first;
      try {
        due_of_.emplace(id, due);
      } catch (...) {
        expiry = std::move(entry->second);  // back to the caller, destroyed outside the lock
        by_deadline_.erase(entry);
        throw;
      }
      new_earliest = by_deadline_.begin()->first.second == id;
      // Under the lock, after the insertion: a poller that took the role and then read the
      // earliest deadline (under this lock) before this insertion is seen polling here.
      if (reactor_ != nullptr) nobody_polls = reactor_->wait_registered();
    }
    if (nobody_polls) {
      if (wake_a_poller_ != nullptr) wake_a_poller_();
    } else if (new_earliest && reactor_ != nullptr) {
      reactor_->interrupt();  // the poller may be waiting until a later deadline
    }
    return id;
  }

  // true: the timer had not fired and now never will (its callback is destroyed here, after
  // the unlock).
  bool cancel(timer_id id) {
    callback discarded;
    {
      sync::lock_guard lock(mutex_);
      const auto found = due_of_.find(id);
      if (found == due_of_.end()) return false;
      const auto entry = by_deadline_.find(key{found->second, id});
      discarded = std::move(entry->second);
      by_deadline_.erase(entry);
      due_of_.erase(found);
    }
    if (reactor_ != nullptr) reactor_->wait_left();
    return true;
  }

  // The poller's step: takes each callback due at `now` out of the queue under the lock, one at
  // a time, then dispatches it and drops it outside the lock. One at a time, so that the step
  // allocates nothing: a batch vector's growth could throw bad_alloc in the poller's turn, which
  // has no caller to throw to (issue 10).
  void fire_due(clock::time_point now) {
    for (;;) {
      callback due;
      {
        sync::lock_guard lock(mutex_);
        if (by_deadline_.empty() || by_deadline_.begin()->first.first > now) return;
        due = std::move(by_deadline_.begin()->second);  // a move: no allocation
        due_of_.erase(by_deadline_.begin()->first.second);
        by_deadline_.erase(by_deadline_.begin());
      }
      if (reactor_ != nullptr) reactor_->wait_left();
      dispatch_(due);
    }
  }

  // The earliest deadline queued (time_point::max() if none): how long the poller may wait.
  [[nodiscard]] clock::time_point earliest_deadline() {
    sync::lock_guard lock(mutex_);
    return by_deadline_.empty() ? clock::time_point::max() : by_deadline_.begin()->first.first;
  }

  // Timers waiting (for tests).
  [[nodiscard]] std::size_t pending() {
    sync::lock_guard lock(mutex_);
    return by_deadline_.size();
  }

  // Refuses later schedule() calls and drops every pending callback after the unlock. A second
  // call does nothing.
  void stop() {
    std::map<key, callback> dropped;
    {
      sync::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      dropped.swap(by_deadline_);
      due_of_.clear();
    }
    if (reactor_ != nullptr) {
      for (std::size_t left = dropped.size(); left != 0; --left) reactor_->wait_left();
    }
  }

 private:
  using key = std::pair<clock::time_point, timer_id>;
  dispatcher dispatch_;
  io_poller* reactor_;          // nullptr: a model's queue
  poller_waker wake_a_poller_;  // nullptr: a model's queue
  sync::mutex mutex_;
  std::map<key, callback> by_deadline_;                     // under mutex_
  std::unordered_map<timer_id, clock::time_point> due_of_;  // under mutex_
  timer_id next_id_ = 1;                                    // under mutex_
  bool stopping_ = false;                                   // under mutex_
};

}  // namespace tpl::detail
