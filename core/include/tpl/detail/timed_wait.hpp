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
// detail/blocking_wait.hpp. Compiled in core/src/blocking_wait.cpp.
#pragma once

#include <chrono>
#include <optional>

#include "tpl/cancellation_token.hpp"

namespace tpl::detail {

class task_core;

enum class wait_outcome { completed, timed_out, canceled };

using wait_deadline = std::optional<std::chrono::steady_clock::time_point>;

// Waits for `core` to complete, until `deadline` (none: no limit) or until `token` is canceled.
// A completed task reports `completed` even if the token is canceled or the deadline passed,
// as .NET's Wait(timeout, token) does.
wait_outcome wait_for_completion_until(task_core& core, const wait_deadline& deadline, const cancellation_token& token);

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
