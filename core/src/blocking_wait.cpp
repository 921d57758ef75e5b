// Blocking waits (detail/blocking_wait.hpp, detail/timed_wait.hpp): the waiter nodes and the
// worker's helping, kept out of the task headers so that they need not include the pool.
#include "tpl/detail/blocking_wait.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/join_signal.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/timed_wait.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::detail {

namespace {

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

// The removable node, on the waiter's stack. Whoever wakes it (the task's completer, the
// token's callback) notifies under the lock, and the waiter reads under it: the waker touches
// nothing after its unlock, so the waiter may return (destroying the node) as soon as it sees
// the flag.
class gate_waiter : public continuation {
 public:
  gate_waiter() : continuation(&gate_waiter::task_completed) {}

  void cancel() {
    sync::lock_guard lock(mutex_);
    canceled_ = true;
    changed_.notify_all();
  }

  // Blocks until the task completed, the token was canceled or `deadline` passed.
  void block(const wait_deadline& deadline) {
    sync::lock_guard lock(mutex_);
    while (!completed_ && !canceled_) {
      if (!deadline) {
        changed_.wait(mutex_);
      } else if (!changed_.wait_until(mutex_, *deadline)) {
        return;  // the deadline passed (a timed-out wait_until means so; Relacy explores it at any time)
      }
    }
  }
  // After a failed remove_continuation(): the completer is about to run this node.
  void block_until_completed() {
    sync::lock_guard lock(mutex_);
    changed_.wait(mutex_, [this] { return completed_; });
  }
  [[nodiscard]] bool completed() {
    sync::lock_guard lock(mutex_);
    return completed_;
  }
  [[nodiscard]] bool canceled() {
    sync::lock_guard lock(mutex_);
    return canceled_;
  }

 private:
  static void task_completed(continuation* self) {
    auto* me = static_cast<gate_waiter*>(self);
    sync::lock_guard lock(me->mutex_);
    me->completed_ = true;
    me->changed_.notify_all();
  }

  sync::mutex mutex_;
  sync::condition_variable changed_;
  bool completed_ = false;  // under mutex_
  bool canceled_ = false;   // under mutex_
};

// Blocks on a registered `node` until the task completes, the deadline passes or the token is
// canceled; a waiter that gives up takes its node back out of the task, or, if the task is
// completing, waits for the node to run and reports the completion.
wait_outcome block_then_settle(task_core& core, gate_waiter& node, const wait_deadline& deadline,
                                      const cancellation_token& token) {
  {
    // Registered after the node, so that a cancellation always has a node to wake; destroyed
    // (waiting for a callback that is running) before the node is.
    cancellation_registration on_cancel;
    if (token.can_be_canceled()) on_cancel = token.register_callback([&node] { node.cancel(); });
    node.block(deadline);
  }
  if (node.completed()) return wait_outcome::completed;
  const bool canceled = node.canceled();
  if (core.state().remove_continuation(&node)) return canceled ? wait_outcome::canceled : wait_outcome::timed_out;
  node.block_until_completed();
  return wait_outcome::completed;
}

}  // namespace

void wait_for_completion(task_core& core) {
  if (core.state().is_completed()) return;
  if (pool_worker* worker = current_worker()) {
    // The awaited task itself, if it is still queued (anywhere in this worker's pool): run it
    // here, as .NET does.
    if (has_stack_room() && core.claim_and_run_inline(worker->pool()) && core.state().is_completed()) return;
    const std::int64_t mark = worker->wait_mark();
    worker_waiter node;
    diagnostics_hooks::continuation_registering(core.state());
    if (core.state().add_continuation(&node)) worker->wait_for(node.completed, mark, core.queued_item(), &core);
    return;
  }
  thread_waiter node;
  diagnostics_hooks::continuation_registering(core.state());
  if (core.state().add_continuation(&node)) node.wait();
}

// Waits for `core` to complete, until `deadline` (none: no limit) or until `token` is canceled.
// A completed task reports `completed` even if the token is canceled or the deadline passed,
// as .NET's Wait(timeout, token) does.
wait_outcome wait_for_completion_until(task_core& core, const wait_deadline& deadline,
                                              const cancellation_token& token) {
  if (core.state().is_completed()) return wait_outcome::completed;
  if (!deadline && !token.can_be_canceled()) {
    wait_for_completion(core);
    return wait_outcome::completed;
  }
  if (token.is_cancellation_requested()) return wait_outcome::canceled;
  if (deadline && std::chrono::steady_clock::now() >= *deadline) return wait_outcome::timed_out;
  pool_worker* worker = current_worker();
  if (worker != nullptr) {
    if (has_stack_room() && core.claim_and_run_inline(worker->pool()) && core.state().is_completed()) {
      return wait_outcome::completed;
    }
  }
  gate_waiter node;
  const std::int64_t mark = worker != nullptr ? worker->wait_mark() : 0;
  diagnostics_hooks::continuation_registering(core.state());
  if (!core.state().add_continuation(&node)) return wait_outcome::completed;
  if (worker != nullptr) {
    worker->run_own_subtree(mark, core.queued_item(), [&node] { return node.completed(); });
    // A spare keeps the pool's parallelism while this blocks, including in the wait for a
    // completer that is about to run the node (it may have queued the run to this very pool).
    struct blocking_section {
      pool_worker& worker;
      bool park_traced = false;  // the park was reported to a tracer: so is the unpark
      blocking_section(pool_worker& blocked, task_core& awaited) : worker(blocked) {
        worker.note_activity(diagnostics::worker_activity::blocked, worker.help_depth());
        if (pool_access::begin_blocking(worker.pool())) diagnostics_hooks::stalled_wait(worker, &awaited);
        park_traced = diagnostics_hooks::parked(worker.pool(), worker.index(), diagnostics::park_reason::blocking_wait);
      }
      ~blocking_section() {
        diagnostics_hooks::unparked(park_traced, worker.pool(), worker.index());
        pool_access::end_blocking(worker.pool());
        worker.note_activity(diagnostics::worker_activity::running, worker.help_depth());
      }
      blocking_section(const blocking_section&) = delete;
      blocking_section& operator=(const blocking_section&) = delete;
    } section(*worker, core);
    return block_then_settle(core, node, deadline, token);
  }
  return block_then_settle(core, node, deadline, token);
}

}  // namespace tpl::detail
