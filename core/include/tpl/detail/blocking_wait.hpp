// Blocking until a task completes (task::wait(), task::get()). A pool worker that blocks runs
// the awaited task itself if it has not started (as .NET's Wait inlines a queued task:
// task_core::claim_and_run_inline, or a pop when it is the newest item of the worker's deque),
// and otherwise only work pushed after the wait began; then it
// parks on its own parker while a spare thread runs the pool's work in its place
// (pool_worker::wait_for, docs/pool.md). Any other thread sleeps on a condition variable.
// Either way the wake-up is a continuation on the task, so it cannot be lost: registration and
// completion are the complete-once protocol of task_state.
#pragma once

#include "tpl/detail/join_signal.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

// A thread that is not a pool worker sleeps on this node, which lives on its stack.
struct thread_waiter : continuation {
  thread_waiter() : continuation(&thread_waiter::wake) {}
  sync::mutex mutex;
  sync::condition_variable completed_changed;
  bool completed = false;  // under mutex

  static void wake(continuation* self) {
    auto* me = static_cast<thread_waiter*>(self);
    // Notify under the lock: the waiter cannot return (destroying this node, on its stack)
    // before the unlock, and nothing touches the node after it.
    sync::lock_guard lock(me->mutex);
    me->completed = true;
    me->completed_changed.notify_one();
  }
  void wait() {
    sync::lock_guard lock(mutex);
    completed_changed.wait(mutex, [this] { return completed; });
  }
};

// A pool worker parks on this node's signal, which lives on its stack.
struct worker_waiter : continuation {
  worker_waiter() : continuation(&worker_waiter::wake) {}
  join_signal completed;

  static void wake(continuation* self) {
    // join_signal::set() publishes the task's outcome (written before its continuations run)
    // and touches nothing once the waiter may return.
    static_cast<worker_waiter*>(self)->completed.set();
  }
};

inline void wait_for_completion(task_core& core) {
  if (core.state().is_completed()) return;
  if (pool_worker* worker = current_worker()) {
    // The awaited task itself, if it is still queued (anywhere): run it here, as .NET does.
    if (has_stack_room() && core.claim_and_run_inline() && core.state().is_completed()) return;
    const std::int64_t mark = worker->wait_mark();
    worker_waiter node;
    if (core.state().add_continuation(&node)) worker->wait_for(node.completed, mark, core.queued_item());
    return;
  }
  thread_waiter node;
  if (core.state().add_continuation(&node)) node.wait();
}

}  // namespace tpl::detail
