// One worker of a thread_pool (a core worker or a spare): its deque, its counters, its parker,
// and the fork-join hot paths (fork a child, join it) inline; the slow paths live in
// core/src/thread_pool.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>

#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/join_signal.hpp"
#include "tpl/detail/pool_intake.hpp"
#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/work_source.hpp"
#include "tpl/work_stealing_deque.hpp"

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::detail {

class pool_worker;
class task_core;

// The worker the calling thread is, or nullptr on a thread that is not a pool worker (a
// sync::thread_local_value, so that each model thread has its own).
struct current_worker_tag;
using current_worker_slot = sync::thread_local_value<current_worker_tag, pool_worker*>;
inline pool_worker* current_worker() { return current_worker_slot::get(); }

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

// A child forked by a frame that will join it: lives on that frame's stack. `joined` is only
// set when a scheduling loop ran it (a thief, a spare, or this worker while waiting); when the
// frame pops its own child back at the join it runs it inline and needs no signal.
struct fork_item : work_item {
  std::exception_ptr error;  // written by the runner before `joined` is set
  join_signal joined;
  std::int64_t index = 0;    // its position in the forking worker's deque (pool_worker::fork)

  // Called by whoever ran the item through a scheduling loop, after running it. The joiner may
  // return (and the item's frame vanish) once the signal is set; join_signal::set() touches
  // nothing after that.
  void signal_joiner() { joined.set(); }
  [[nodiscard]] bool is_done() const { return joined.is_set(); }
};

class pool_worker {
 public:
  pool_worker(thread_pool& pool, std::size_t index, pool_intake<work_item*>& intake);
  pool_worker(const pool_worker&) = delete;
  pool_worker& operator=(const pool_worker&) = delete;

  [[nodiscard]] thread_pool& pool() const noexcept { return pool_; }
  [[nodiscard]] std::size_t index() const noexcept { return index_; }

  // Make `item` available to thieves and to this worker's own later pops.
  void push(work_item* item) {
    owner_.push(item);
    intake_.sleeper().notify_one_if_sleepers_hint();
  }

  // Fork: push a child that this frame will join(), remembering where it lies.
  void fork(fork_item& child) {
    child.index = owner_.next_index();
    push(&child);
  }

  // Join: return once `child` (forked by this worker's current frame) has run. If it is still
  // the newest item of the deque, run it here, as a plain call would (unless the stack is
  // nearly full: then a spare thread runs it on a fresh stack). Otherwise wait_for() it.
  void join(fork_item& child) {
    if (static_cast<const char*>(__builtin_frame_address(0)) > stack_floor_) {  // has_stack_room(), cached
      if (auto item = owner_.pop()) {
        if (*item == &child) {
          child.run(&child, false);
          return;
        }
        owner_.push(*item);  // a later submission of this frame: wait_for() may run it
      }
    }
    wait_for(child.joined, child.index, &child);
  }

  // The position a wait that begins now passes to wait_for() as `mark`.
  [[nodiscard]] std::int64_t wait_mark() const { return owner_.next_index(); }

  // Blocks until `signal` is set. Meanwhile this worker runs only work that cannot outlive the
  // wait: items of its own deque at or above `mark` (pushed after the wait began), and
  // `candidate` (what is awaited, if it is queued here) when it is the newest item. Anything
  // else (an enclosing frame's items, the global queue, other deques) could block on something
  // this waiting frame provides only after the wait returns, so it is left to other threads:
  // the worker parks on its own parker, and the pool starts or wakes a spare thread to keep its
  // parallelism (docs/pool.md). Without stack room it runs nothing and parks.
  // `awaited`: the task waited for (nullptr: a fork-join join), named by the deadlock report
  // when the pool stalls (diagnostics_hooks::stalled_wait).
  void wait_for(join_signal& signal, std::int64_t mark, const work_item* candidate, task_core* awaited = nullptr);

  // wait_for()'s helping half alone, for waits that block some other way (a timed or
  // cancelable wait, core/src/blocking_wait.cpp): runs this wait's own subtree (see wait_for) until
  // `done()` or nothing of it is left here.
  template <class Done>
  void run_own_subtree(std::int64_t mark, const work_item* candidate, Done done);

  // A thread's body: run work until the pool shuts down and no work is left this worker can
  // see. A spare (`as_spare`) also returns, with its own deque empty, as soon as the pool has
  // more spares running than workers parked.
  void run(bool as_spare);

  struct counters {
    owned_counter executed, stolen, slept, woken, parked;
  };
  [[nodiscard]] const counters& stats() const noexcept { return counters_; }
  [[nodiscard]] std::uint64_t deepest_help() const { return deepest_help_.read(); }
  worker_parker& parker() noexcept { return parker_; }

  deque_stealer<work_item*> stealer() { return deque_.stealer(); }

  // --- Diagnostics (tpl/diagnostics.hpp) ----------------------------------------------------
  // What this worker is doing, for snapshots; written by this worker only.
  void note_activity(diagnostics::worker_activity activity, int help_depth) noexcept {
#if TPL_DIAGNOSTICS_HOOKS
    // relaxed: a statistic read by snapshots; nothing is published through it.
    activity_.store(static_cast<int>(activity) | (help_depth << 2), std::memory_order_relaxed);
#else
    (void)activity;
    (void)help_depth;
#endif
  }
  [[nodiscard]] diagnostics::worker_activity activity() const noexcept {
#if TPL_DIAGNOSTICS_HOOKS
    // relaxed: see note_activity().
    return static_cast<diagnostics::worker_activity>(activity_.load(std::memory_order_relaxed) & 3);
#else
    return diagnostics::worker_activity::searching;
#endif
  }
  [[nodiscard]] int reported_help_depth() const noexcept {
#if TPL_DIAGNOSTICS_HOOKS
    // relaxed: see note_activity().
    return activity_.load(std::memory_order_relaxed) >> 2;
#else
    return 0;
#endif
  }
  [[nodiscard]] int help_depth() const noexcept { return help_depth_; }  // this worker's thread only
  [[nodiscard]] std::int64_t queue_length() const { return deque_.approximate_size(); }
  // On this worker's thread: whether `item` waits in its deque.
  [[nodiscard]] bool holds(work_item* item) const { return owner_.holds(item); }
  // On this worker's thread (or while it is parked): whether an item in its deque resumes the
  // coroutine whose frame is at `frame` (a yield or a pool switch queued behind a wait).
  [[nodiscard]] bool holds_resumption_of(const void* frame) const {
    return owner_.holds_if([frame](work_item* item) { return resumed_coroutine(item) == frame; });
  }

 private:
  // Every config::io_poll_interval items: take what the I/O reactor has, without waiting, if
  // no idle worker polls it (a busy pool must not starve its own I/O).
  void poll_io_without_waiting();
  // The item this worker ran queued kernel requests (io_submissions_owed): see io_poller.hpp.
  void submit_owed_io() noexcept;
  work_item* find_work(work_source& source);
  work_item* steal_from_others();
  void execute(work_item* item, work_source source);

  thread_pool& pool_;
  std::size_t index_;
  pool_intake<work_item*>& intake_;
  work_stealing_deque<work_item*> deque_;
  deque_owner<work_item*> owner_;
  counters counters_;
  worker_parker parker_;
  const char* stack_floor_ = nullptr;  // inline_stack_floor() of the thread running this worker (run())
  std::uint64_t random_state_;  // xorshift state for choosing victims; this worker only
  int help_depth_ = 0;          // nesting of work run inside wait_for; this worker only
  owned_counter deepest_help_;  // the most help_depth_ ever reached; read by counters()
#if TPL_DIAGNOSTICS_HOOKS
  // (help depth << 2) | worker_activity; see note_activity(). Compiled out under Relacy.
  sync::atomic<int> activity_{0};
#endif
};

template <class Done>
void pool_worker::run_own_subtree(std::int64_t mark, const work_item* candidate, Done done) {
  // Only this wait's own subtree runs nested here: items this worker pushed after the wait
  // began (at or above `mark`), and the awaited item itself. They cannot outlive the wait, so
  // running them never delays its return past the awaited thing's own completion.
  while (!done() && has_stack_room()) {
    const std::int64_t index = owner_.next_index() - 1;
    auto item = owner_.pop();
    if (!item) break;
    if (*item != candidate && index < mark) {
      owner_.push(*item);  // an enclosing frame's item: back to the slot it came from (no growth)
      break;
    }
    ++help_depth_;
    deepest_help_.raise_to(static_cast<std::uint64_t>(help_depth_));
    note_activity(diagnostics::worker_activity::running, help_depth_);  // the nested run
    execute(*item, work_source::local);
    --help_depth_;
    note_activity(diagnostics::worker_activity::running, help_depth_);  // back in the waiting item
  }
}

}  // namespace tpl::detail
