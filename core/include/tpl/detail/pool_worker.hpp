// One worker of a thread_pool: its deque, its counters, and the fork-join hot paths (push a
// child, join it) inline; the slow paths live in core/src/thread_pool.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>

#include "tpl/detail/pool_intake.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/work_source.hpp"
#include "tpl/work_stealing_deque.hpp"

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::detail {

class pool_worker;

// The worker the calling thread is, or nullptr on a thread that is not a pool worker.
inline thread_local pool_worker* current_worker = nullptr;

// A statistic written by one thread (its worker) and read by any: relaxed load + store is
// enough, because nothing is published through it and a reader may see a slightly old count.
class owned_counter {
 public:
  void increment() {
    // relaxed: single writer (see the class comment); no ordering is implied to readers.
    value_.store(value_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void raise_to(std::uint64_t candidate) {
    // relaxed: single writer (see the class comment).
    if (candidate > value_.load(std::memory_order_relaxed)) value_.store(candidate, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t read() const {
    // relaxed: a statistic; see the class comment.
    return value_.load(std::memory_order_relaxed);
  }

 private:
  sync::atomic<std::uint64_t> value_{0};
};

// A child forked by a frame that will join it: lives on that frame's stack. `done` is only
// used when a scheduling loop ran it (a thief, or this worker while helping); when the frame
// pops its own child back at the join it runs it inline and needs no signal.
struct fork_item : work_item {
  idle_sleeper* sleeper = nullptr;  // to wake the joiner if it went to sleep
  std::exception_ptr error;         // written by the runner before `done`
  sync::atomic<bool> done{false};

  // Called by whoever ran the item through a scheduling loop, after running it. The joiner may return (and the item's frame
  // vanish) as soon as it sees `done`, so nothing of the item is touched after the store.
  void signal_joiner() {
    idle_sleeper* wake = sleeper;
    // release: pairs with the acquire load in is_done(): the joiner sees `error` and every
    // effect of the child.
    done.store(true, std::memory_order_release);
    wake->notify_all();  // the joiner may be asleep in join_slow (its give-up check is done)
  }
  [[nodiscard]] bool is_done() const {
    // acquire: pairs with the release store in signal_joiner().
    return done.load(std::memory_order_acquire);
  }
};

class pool_worker {
 public:
  pool_worker(thread_pool& pool, std::size_t index, pool_intake<work_item*>& intake);
  pool_worker(const pool_worker&) = delete;
  pool_worker& operator=(const pool_worker&) = delete;

  [[nodiscard]] thread_pool& pool() const noexcept { return pool_; }
  [[nodiscard]] std::size_t index() const noexcept { return index_; }

  // Fork: make `item` available to thieves and to this worker's own later pops.
  void push(work_item* item) {
    owner_.push(item);
    intake_.sleeper().notify_one_if_sleepers_hint();
  }

  // Join: return once `child` (pushed by this worker's current frame) has run. If it is still
  // the newest item of the deque, run it here, as a plain call would; otherwise it was stolen
  // or lies below newer items, and join_slow runs other work meanwhile (bounded nesting) or
  // sleeps.
  void join(fork_item& child) {
    if (auto item = owner_.pop()) {
      if (*item == &child) {
        child.run(&child, false);
        return;
      }
      owner_.push(*item);  // an enclosing frame's item: our child was stolen
    }
    join_slow(child);
  }

  // Runs other work (bounded nesting, as join_slow) or sleeps until `done` is true. Whoever
  // sets `done` must then call notify_all() on the pool's idle sleeper, as signal_joiner() does.
  void help_until(const sync::atomic<bool>& done);

  // The worker's thread body: run work until the pool shuts down and no work is left.
  void run_until_shutdown();

  struct counters {
    owned_counter executed, stolen, slept, woken;
  };
  [[nodiscard]] const counters& stats() const noexcept { return counters_; }
  [[nodiscard]] std::uint64_t deepest_help() const { return deepest_help_.read(); }

  deque_stealer<work_item*> stealer() { return deque_.stealer(); }

 private:
  void join_slow(fork_item& child);
  work_item* find_work(work_source& source);
  work_item* pop_own(work_source& source);
  work_item* steal_from_others();
  void execute(work_item* item, work_source source);

  thread_pool& pool_;
  std::size_t index_;
  pool_intake<work_item*>& intake_;
  work_stealing_deque<work_item*> deque_;
  deque_owner<work_item*> owner_;
  counters counters_;
  std::uint64_t random_state_;  // xorshift state for choosing victims; this worker only
  int max_help_depth_;          // the pool's bound on help_depth_
  int help_depth_ = 0;          // nesting of join_slow helping; this worker only
  owned_counter deepest_help_;  // the most help_depth_ ever reached; read by counters()
};

}  // namespace tpl::detail
