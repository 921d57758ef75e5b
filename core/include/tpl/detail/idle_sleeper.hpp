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
#pragma once

#include <cstdint>

#include "tpl/config.hpp"
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
    wake_.wait(mutex_, [&] { return epoch_.load() != ticket; });
    mutex_.unlock();
    // relaxed: as in cancel_sleep().
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
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
    {
      sync::lock_guard lock(mutex_);
      epoch_.store(epoch_.load() + 1);
    }
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
};

// The idle path of a worker, protocol included: look for work, spin a little, then sleep with
// the two-phase protocol until work appears or `give_up()` holds. Returns the work found, or an
// empty result once giving up. `try_find()` returns something testable as bool (an optional
// or a pointer); `on_sleep()` / `on_wake()` let the caller count.
//
// `give_up()` must acquire whatever was published before the state it reports (e.g. an
// acquire load of a stopping flag set after the last push): once it holds, one last
// `try_find()` runs, so work published before giving up is still returned (a pool drains).
template <class TryFind, class GiveUp, class OnSleep, class OnWake>
auto find_work_or_park(idle_sleeper& sleeper, TryFind&& try_find, GiveUp&& give_up, OnSleep&& on_sleep,
                        OnWake&& on_wake) -> decltype(try_find()) {
  for (;;) {
    for (int round = 0; round < config::idle_spin_rounds; ++round) {
      if (auto work = try_find()) return work;
      if (give_up()) return try_find();
      if (round < config::idle_spin_rounds / 2) {
        sync::spin_pause();
      } else {
        sync::yield_thread();  // let a busy worker have the core (2 workers, 1 core here)
      }
    }
    const std::uint64_t ticket = sleeper.prepare_sleep();
    if (auto work = try_find()) {
      sleeper.cancel_sleep();
      return work;
    }
    if (give_up()) {
      sleeper.cancel_sleep();
      return try_find();
    }
    on_sleep();
    sleeper.sleep(ticket);
    on_wake();
  }
}

}  // namespace tpl::detail
