// The I/O waits that will resume on one pool: what the pool's shutdown (and so its destructor)
// ends before it stops taking work. The rule (docs/io.md, issue 30 findings 3 and 4): shutdown
// first cancels every I/O wait registered here, then waits until each one's resumption has run
// on the pool's own workers, and only then closes the pool's queue. So no resumption is ever
// queued to a closed pool (which ran it inline on the I/O driver's thread) and none names a
// destroyed one (a heap-use-after-free when data arrived later). A wait that would start after
// shutdown began is refused: it ends canceled without suspending.
//
// A mutex and an intrusive list: an entry is added by a wait that is about to suspend (the
// kernel said EAGAIN) and removed when its resumption runs, never on an operation's fast path.
#pragma once

#include <cstddef>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

struct pending_io_wait {
  using cancel_function = void (*)(pending_io_wait* self);
  explicit pending_io_wait(cancel_function cancel) noexcept : cancel_for_shutdown(cancel) {}
  // Ends the wait (its resumption is queued to the pool by whoever claims it); called under
  // the registry's lock, so it must not enter or leave.
  cancel_function cancel_for_shutdown;
  pending_io_wait* previous = nullptr;  // under the registry's lock
  pending_io_wait* next = nullptr;      // under the registry's lock
};

class pending_io_waits {
 public:
  pending_io_waits() = default;
  pending_io_waits(const pending_io_waits&) = delete;
  pending_io_waits& operator=(const pending_io_waits&) = delete;

  // Runs `arm` (arms the wait's slot; true if it armed) under the lock and registers the wait
  // if it armed. false: the pool is shutting down; `arm` did not run and the caller must not
  // suspend. Arming under the lock is what makes shutdown exact: either shutdown's pass came
  // first (the wait is refused before it can be claimed) or the wait was armed and registered
  // before it (shutdown claims it, or sees it claimed by readiness or cancel, and in both cases
  // waits for its resumption, queued while the pool still takes work). Arming first and
  // registering after let a readiness claim slip between them and queue the resumption to a
  // closed pool (models/model_io_operation.cpp, shutdown_vs_readiness, found it).
  template <class Arm>
  [[nodiscard]] bool enter(pending_io_wait& wait, Arm arm) {
    sync::lock_guard lock(mutex_);
    if (closed_.load()) return false;
    if (!arm()) return true;
    pending_io_wait* first = first_.load();
    wait.previous = nullptr;
    wait.next = first;
    if (first != nullptr) first->previous = &wait;
    first_.store(&wait);
    // relaxed: a hint read by a poller handing its role on, after the seq_cst fence pair of
    // io_poller::end_polling() / wait_registered() (the registrant's fence follows this).
    count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return true;
  }

  // Whether waits are registered here (a hint; see enter()).
  [[nodiscard]] bool has_waits_hint() const noexcept {
    // relaxed: see enter().
    return count_.load(std::memory_order_relaxed) != 0;
  }

  // Called once per entered wait, when its resumption runs (or when it did not suspend after all).
  void leave(pending_io_wait& wait) {
    sync::lock_guard lock(mutex_);
    if (wait.previous != nullptr) {
      wait.previous->next = wait.next;
    } else {
      first_.store(wait.next);
    }
    if (wait.next != nullptr) wait.next->previous = wait.previous;
    // relaxed: see enter() (written under the lock, so the read-modify-write is not racy).
    count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (first_.load() == nullptr && closed_.load()) all_left_.notify_all();
  }

  // Refuses later waits, cancels every registered one, and returns once all have left. The
  // pool must still be running its queue: the resumptions run there.
  void cancel_all_and_wait() {
    sync::lock_guard lock(mutex_);
    closed_.store(true);
    // The list is stable meanwhile: a canceled wait leaves only when its resumption runs, which
    // takes this lock.
    for (pending_io_wait* wait = first_.load(); wait != nullptr; wait = wait->next) wait->cancel_for_shutdown(wait);
    all_left_.wait(mutex_, [&] { return first_.load() == nullptr; });
  }

 private:
  sync::mutex mutex_;
  sync::condition_variable all_left_;
  sync::cell<pending_io_wait*> first_{nullptr};  // under mutex_
  sync::cell<bool> closed_{false};               // under mutex_
  sync::atomic<std::size_t> count_{0};           // written under mutex_, read as a hint
};

}  // namespace tpl::detail
