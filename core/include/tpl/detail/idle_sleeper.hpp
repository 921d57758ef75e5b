// The sleep/wake protocol of tpl's pool workers: a two-phase "event count".
//
// A worker that finds no work must sleep without losing a wake-up: work published while it is
// deciding to sleep must either be seen by its last look for work, or wake it. The protocol:
//
//   sleeper (worker)                          notifier (whoever published work)
//   1. ticket = prepare_sleep()               a. publish the work (queue push, deque push)
//        announces itself (sleepers_ + 1),    b. notify_one() / notify_all():
//        takes the epoch under the mutex,          fence(seq_cst); if sleepers_ == 0 return;
//        fence(seq_cst)                            lock; ++epoch; unlock; wake
//   2. look for work once more
//   3. found: cancel_sleep(); else sleep(ticket): wait while epoch == ticket
//
// Why nothing is lost: the two seq_cst fences are totally ordered. If the notifier's fence
// comes first, the sleeper's look (after its fence) sees the published work. If the sleeper's
// fence comes first, the notifier sees sleepers_ > 0 and bumps the epoch under the mutex:
// either before the sleeper took its ticket (then the mutex orders the publication before the
// sleeper's look, which sees the work) or after (then epoch != ticket and sleep() returns).
// models/model_pool_sleep.cpp checks this with the real code.
//
// Sleeping is the slow path, so it uses a mutex and a condition variable; the fast path of a
// notifier with nobody asleep is one fence and one relaxed load.
//
// The I/O poller (io_poller.hpp). One idle worker of the process may, instead of sleep(ticket),
// wait in the kernel for I/O reports: begin_kernel_wait(ticket) (under the mutex: refused if the
// epoch moved since the ticket, else the poller is recorded), the kernel wait, end_kernel_wait().
// A wake that finds the poller recorded and no sleeper on the condition variable (or wakes all)
// interrupts the kernel wait (io_poller::interrupt(), an eventfd write), once. Nothing is lost for
// the same reason as above: a notify after the poller's ticket either moved the epoch before
// begin_kernel_wait (refused: the poller looks again) or finds it recorded under the mutex.
// models/model_pool_sleep.cpp checks it with a mock reactor.
#pragma once

#include <cstdint>

#include "tpl/config.hpp"
#include "tpl/detail/io_poller.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class idle_sleeper {
 public:
  idle_sleeper() = default;
  idle_sleeper(const idle_sleeper&) = delete;
  idle_sleeper& operator=(const idle_sleeper&) = delete;

  // Phase 1. The caller must look for work once more after this, then call exactly one of
  // cancel_sleep() or sleep(ticket).
  [[nodiscard]] std::uint64_t prepare_sleep() {
    // relaxed: the fence below orders this announcement before the caller's last look for
    // work; the notifier's fence pairs with that fence, not with this operation.
    sleepers_.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t ticket;
    {
      sync::lock_guard lock(mutex_);
      ticket = epoch_.load();
    }
    // seq_cst: pairs with the seq_cst fence in notify(): either the notifier sees this
    // sleeper in sleepers_, or the caller's next look for work sees what was published.
    sync::atomic_thread_fence(std::memory_order_seq_cst);
    return ticket;
  }

  // Phase 2, work found after all.
  void cancel_sleep() {
    // relaxed: a notifier reading a stale, higher count only wakes someone for nothing.
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Phase 2, no work: block until a notify bumped the epoch past `ticket`.
  void sleep(std::uint64_t ticket) {
    mutex_.lock();
    cv_waiters_.store(cv_waiters_.load() + 1);
    wake_.wait(mutex_, [&] { return epoch_.load() != ticket; });
    cv_waiters_.store(cv_waiters_.load() - 1);
    mutex_.unlock();
    // relaxed: as in cancel_sleep().
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Phase 2 for the I/O poller, instead of sleep(): false if a notify came since `ticket` (do
  // not wait). true: the caller may now wait in the kernel (poller.poll(-1)); a notify that
  // finds no sleeper on the condition variable interrupts that wait. Either way the caller then
  // calls end_kernel_wait().
  [[nodiscard]] bool begin_kernel_wait(std::uint64_t ticket, io_poller& poller) {
    sync::lock_guard lock(mutex_);
    if (epoch_.load() != ticket) return false;
    kernel_waiter_.store(&poller);
    return true;
  }
  void end_kernel_wait() {
    {
      sync::lock_guard lock(mutex_);
      kernel_waiter_.store(nullptr);
    }
    // relaxed: as in cancel_sleep().
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Whether a worker announced itself as sleeping (a hint: a moment old).
  [[nodiscard]] bool has_sleepers_hint() const {
    // relaxed: a hint for handing the poller role on; a stale answer costs one wake-up or
    // leaves the role to the next worker that goes idle (docs/io.md).
    return sleepers_.load(std::memory_order_relaxed) != 0;
  }

  // Wakes one sleeper if any announced itself. Call after publishing the work.
  void notify_one() { notify(false); }
  // Wakes every sleeper that announced itself. Call after publishing the state change.
  void notify_all() { notify(true); }

  // Cheap hint for the owner of a deque after pushing to it: no fence, so a worker that is
  // just falling asleep may miss this item. That loses parallelism for a moment, never the
  // item: the owner is awake and runs everything left in its own deque.
  void notify_one_if_sleepers_hint() {
    // relaxed: a hint (see above); the full protocol is notify_one().
    if (sleepers_.load(std::memory_order_relaxed) != 0) wake(false);
  }

  // Wakes everyone regardless of announcements (shutdown): the epoch moves, so a sleeper that
  // took its ticket earlier returns from sleep() or never blocks.
  void wake_all_unconditionally() { wake(true); }

 private:
  void notify(bool all) {
    // seq_cst: pairs with the seq_cst fence in prepare_sleep() (see the header comment).
    sync::atomic_thread_fence(std::memory_order_seq_cst);
    // relaxed: ordered by the fence above.
    if (sleepers_.load(std::memory_order_relaxed) == 0) return;
    wake(all);
  }

  void wake(bool all) {
    io_poller* to_interrupt = nullptr;
    {
      sync::lock_guard lock(mutex_);
      epoch_.store(epoch_.load() + 1);
      // The poller waits in the kernel, where the condition variable cannot reach it: interrupt
      // it when it is the one to wake (nobody on the condition variable), or when waking all.
      if (kernel_waiter_.load() != nullptr && (all || cv_waiters_.load() == 0)) {
        to_interrupt = kernel_waiter_.load();
        kernel_waiter_.store(nullptr);  // once per kernel wait
      }
    }
    // Outside the lock (a system call); the reactor lives as long as the process.
    if (to_interrupt != nullptr) to_interrupt->interrupt();
    if (all) {
      wake_.notify_all();
    } else {
      wake_.notify_one();
    }
  }

  sync::atomic<std::uint32_t> sleepers_{0};  // announced sleepers; any thread adds/removes itself
  sync::mutex mutex_;
  sync::condition_variable wake_;
  sync::cell<std::uint64_t> epoch_{0};  // read and written under mutex_ only
  sync::cell<std::uint32_t> cv_waiters_{0};           // in sleep(), under mutex_
  sync::cell<io_poller*> kernel_waiter_{nullptr};     // the poller between begin/end_kernel_wait, under mutex_
};

// The idle path of a worker, protocol included: look for work, spin a little, then sleep with
// the two-phase protocol until work appears or `give_up()` holds. Returns the work found, or an
// empty result once giving up. `try_find()` returns something testable as bool (an optional
// or a pointer); `on_sleep()` / `on_wake()` let the caller count.
//
// `give_up()` must acquire whatever was published before the state it reports (e.g. an
// acquire load of a stopping flag set after the last push): once it holds, one last
// `try_find()` runs, so work published before giving up is still returned (a pool drains).
//
// `current_poller()`: the process's I/O reactor (nullptr: none), read each time the worker is
// about to park, after its announcement: the reactor may be installed while the worker is
// already idle (the default pool starts before it). While some I/O wait is pending anywhere
// and nobody holds the poller role, the worker takes it and waits in the kernel instead of on
// the condition variable (begin_kernel_wait); the reports it takes resume their operations
// (to this worker's own deque when they resume on its pool). When it leaves the role having
// found work, `hand_off()` wakes a sleeping worker to take the role on; when it found none it
// goes straight back to polling.
template <class TryFind, class GiveUp, class OnSleep, class OnWake, class CurrentPoller, class HandOff>
auto find_work_or_park(idle_sleeper& sleeper, TryFind&& try_find, GiveUp&& give_up, OnSleep&& on_sleep,
                        OnWake&& on_wake, CurrentPoller&& current_poller, HandOff&& hand_off)
    -> decltype(try_find()) {
  bool spin = true;
  for (;;) {
    for (int round = 0; spin && round < config::idle_spin_rounds; ++round) {
      if (auto work = try_find()) return work;
      if (give_up()) return try_find();
      if (round < config::idle_spin_rounds / 2) {
        sync::spin_pause();
      } else {
        // While I/O waits are pending the kernel wait is where to yield: each sched_yield is a
        // system call, and an I/O server goes idle between most requests (32 of them per
        // request at one connection, measured by the external benchmark). A shortcut to the
        // park below, which the models check; they spin one round and skip it (its two loads
        // multiplied their searches by five).
        if constexpr (config::idle_spin_rounds > 1) {
          if (io_poller* poller = current_poller(); poller != nullptr && poller->has_pending_waits()) break;
        }
        sync::yield_thread();  // let a busy worker have the core (2 workers, 1 core here)
      }
    }
    spin = true;
    const std::uint64_t ticket = sleeper.prepare_sleep();
    if (auto work = try_find()) {
      sleeper.cancel_sleep();
      return work;
    }
    if (give_up()) {
      sleeper.cancel_sleep();
      return try_find();
    }
    io_poller* poller = current_poller();
    if (poller != nullptr && poller->has_pending_waits() && poller->try_begin_polling()) {
      if (sleeper.begin_kernel_wait(ticket, *poller)) {
        on_sleep();
        poller->poll(-1);
        on_wake();
      }
      sleeper.end_kernel_wait();
      poller->end_polling();
      if (auto work = try_find()) {
        hand_off();
        return work;
      }
      spin = false;  // nothing for this worker: back to the kernel at once
      continue;
    }
    on_sleep();
    sleeper.sleep(ticket);
    on_wake();
  }
}

// Without a reactor (the models of the plain pool).
template <class TryFind, class GiveUp, class OnSleep, class OnWake>
auto find_work_or_park(idle_sleeper& sleeper, TryFind&& try_find, GiveUp&& give_up, OnSleep&& on_sleep,
                        OnWake&& on_wake) -> decltype(try_find()) {
  return find_work_or_park(
      sleeper, try_find, give_up, on_sleep, on_wake, []() -> io_poller* { return nullptr; }, [] {});
}

}  // namespace tpl::detail
