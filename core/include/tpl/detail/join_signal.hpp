// How a pool worker waits for one thing (a forked child, a task) without consuming anyone
// else's wake-up and without the signaler touching freed memory.
//
// The waiter and the signaler share a join_signal, which lives with what is awaited (a
// fork_item on the joining frame, a worker_waiter node on the waiting frame). Three states:
//
//   open ──set()──────────────▶ set          the waiter sees `set` and returns; set() touched
//     │                          ▲           nothing after its exchange, so the node may vanish
//     └─park(): CAS open→parked ─┘ set():    exchange sees `parked`: lock the waiter's parker,
//                                            mark the node released, notify, unlock
//
// A parked waiter returns only after reading `released` under its parker's mutex, i.e. after
// the signaler unlocked: nothing of the node or the parker is touched once the waiter can
// return (issue 9, bug 7: the previous waker stored `done` and then notified the pool's idle
// sleeper, which a waiter that saw `done` could already have destroyed with its pool).
//
// The parker is the waiting thread's own (one per worker; a thread parks in at most one wait
// at a time, its innermost), never the pool's idle sleeper: a parked waiter cannot swallow a
// notify meant for an idle worker (issue 9, bug 3). models/model_join_signal.cpp checks the
// protocol, including the waiter destroying the parker as soon as it returns.
#pragma once

#include <cstdint>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

// Where one thread parks while one of its waits is unsatisfied.
struct worker_parker {
  sync::mutex mutex;
  sync::condition_variable released;  // notified (under mutex) when a waiter's signal is set
};

class join_signal {
 public:
  join_signal() = default;
  join_signal(const join_signal&) = delete;
  join_signal& operator=(const join_signal&) = delete;

  [[nodiscard]] bool is_set() const {
    // acquire: pairs with the release half of set()'s exchange: what the signaler did before
    // setting (the awaited work's effects) is visible once this reads `set`.
    return state_.load(std::memory_order_acquire) == set_state;
  }

  // Signaler: at most once. Touches nothing of the node or the parker once the waiter may
  // return (see the header comment).
  void set() {
    // acq_rel: the release half publishes the awaited work's effects to is_set()/park(); the
    // acquire half pairs with park()'s release CAS, so parker_ (written before it) is visible.
    if (state_.exchange(set_state, std::memory_order_acq_rel) != parked_state) return;
    worker_parker& parker = *parker_.load();
    sync::lock_guard lock(parker.mutex);
    released_.store(true);
    parker.released.notify_all();
  }

  // Waiter: blocks on `parker` until set() ran. Returns at once if it already did.
  void park(worker_parker& parker) {
    parker_.store(&parker);
    std::uint32_t expected = open_state;
    // acq_rel (success): its release publishes parker_ to set()'s acquire exchange. acquire
    // (failure): set() won, and the release half of its exchange published the work's effects.
    if (!state_.compare_exchange_strong(expected, parked_state, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return;
    }
    parker.mutex.lock();
    parker.released.wait(parker.mutex, [this] { return released_.load(); });
    parker.mutex.unlock();
  }

 private:
  static constexpr std::uint32_t open_state = 0;
  static constexpr std::uint32_t parked_state = 1;
  static constexpr std::uint32_t set_state = 2;

  sync::atomic<std::uint32_t> state_{open_state};
  sync::cell<worker_parker*> parker_{nullptr};  // written by park() before its CAS; read by set() after its exchange
  sync::cell<bool> released_{false};            // under the parker's mutex
};

}  // namespace tpl::detail
