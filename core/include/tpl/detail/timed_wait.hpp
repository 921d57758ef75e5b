// Blocking until a task completes, a deadline passes or a token is canceled, whichever comes
// first (task::wait_for/wait_until/wait(token), wait_all, wait_any). The waiter registers a
// node on the task, as an untimed wait does, but one it can take back: on a timeout or a
// cancellation it removes the node (task_state::remove_continuation), so a waiter that gave up
// leaves nothing in the task. If removal fails the task is completing, the node is about to
// run, and the waiter waits for that run (short: the completer is between publishing and
// running continuations) and reports the completion: completion wins a tie.
//
// On a pool worker the wait helps as task::wait() does (it runs the awaited task inline if it
// is still queued, then the items it pushed itself after the wait began) and the pool starts or
// wakes a spare thread while it blocks. Untimed, uncancelable waits take the cheaper path of
// detail/blocking_wait.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/blocking_wait.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::detail {

enum class wait_outcome { completed, timed_out, canceled };

using wait_deadline = std::optional<std::chrono::steady_clock::time_point>;

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
inline wait_outcome block_then_settle(task_core& core, gate_waiter& node, const wait_deadline& deadline,
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

// Waits for `core` to complete, until `deadline` (none: no limit) or until `token` is canceled.
// A completed task reports `completed` even if the token is canceled or the deadline passed,
// as .NET's Wait(timeout, token) does.
inline wait_outcome wait_for_completion_until(task_core& core, const wait_deadline& deadline,
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
    if (has_stack_room() && core.claim_and_run_inline() && core.state().is_completed()) return wait_outcome::completed;
  }
  gate_waiter node;
  const std::int64_t mark = worker != nullptr ? worker->wait_mark() : 0;
  if (!core.state().add_continuation(&node)) return wait_outcome::completed;
  if (worker != nullptr) {
    worker->run_own_subtree(mark, core.queued_item(), [&node] { return node.completed(); });
    // A spare keeps the pool's parallelism while this blocks, including in the wait for a
    // completer that is about to run the node (it may have queued the run to this very pool).
    struct blocking_section {
      thread_pool& pool;
      explicit blocking_section(thread_pool& blocked) : pool(blocked) { pool.begin_blocking(); }
      ~blocking_section() { pool.end_blocking(); }
      blocking_section(const blocking_section&) = delete;
      blocking_section& operator=(const blocking_section&) = delete;
    } section(worker->pool());
    return block_then_settle(core, node, deadline, token);
  }
  return block_then_settle(core, node, deadline, token);
}

// The deadline `timeout` from now; none (no limit) when that lies beyond the clock's range, so
// a huge timeout cannot overflow. Callers refuse negative timeouts first.
template <class Rep, class Period>
wait_deadline deadline_after(std::chrono::duration<Rep, Period> timeout) {
  using clock = std::chrono::steady_clock;
  const clock::time_point now = clock::now();
  const auto room = std::chrono::duration_cast<std::chrono::duration<double>>(clock::time_point::max() - now);
  if (std::chrono::duration<double>(timeout) >= room) return std::nullopt;  // beyond the clock's range: no limit
  return now + std::chrono::ceil<clock::duration>(timeout);
}

}  // namespace tpl::detail
