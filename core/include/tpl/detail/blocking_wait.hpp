// Blocking until a task completes (task::wait(), task::get()). A pool worker that blocks keeps
// running other work meanwhile (bounded nesting, as a fork-join join does) so that a pool of N
// workers whose tasks wait for one another does not run out of threads; any other thread sleeps
// on a condition variable. Either way the wake-up is a continuation on the task, so it cannot
// be lost: registration and completion are the complete-once protocol of task_state.
#pragma once

#include "tpl/detail/task_core.hpp"
#include "tpl/sync/sync.hpp"

#if !defined(TPL_MODEL_RELACY)
#include "tpl/detail/idle_sleeper.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/thread_pool.hpp"
#endif

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

#if !defined(TPL_MODEL_RELACY)
// A pool worker helps with other work until this node, on its stack, is signaled.
struct worker_waiter : continuation {
  explicit worker_waiter(idle_sleeper& pool_sleeper) : continuation(&worker_waiter::wake), sleeper(&pool_sleeper) {}
  idle_sleeper* sleeper;
  sync::atomic<bool> done{false};

  static void wake(continuation* self) {
    auto* me = static_cast<worker_waiter*>(self);
    idle_sleeper* wake_up = me->sleeper;  // read first: the waiter may return once `done` is set
    // release: pairs with the acquire load in pool_worker::help_until(): the task's outcome
    // (published before its continuations run) is visible to the waiter.
    me->done.store(true, std::memory_order_release);
    wake_up->notify_all();  // the waiter may be asleep among the idle workers
  }
};
#endif

inline void wait_for_completion(task_core& core) {
  if (core.state().is_completed()) return;
#if !defined(TPL_MODEL_RELACY)
  if (pool_worker* worker = current_worker) {
    worker_waiter node(worker->pool().intake().sleeper());
    if (core.state().add_continuation(&node)) worker->help_until(node.done);
    return;
  }
#endif
  thread_waiter node;
  if (core.state().add_continuation(&node)) node.wait();
}

}  // namespace tpl::detail
