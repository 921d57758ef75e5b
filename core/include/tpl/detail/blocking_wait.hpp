// Blocking until a task completes (task::wait(), task::get()). A pool worker that blocks runs
// the awaited task itself if it has not started (as .NET's Wait inlines a queued task:
// task_core::claim_and_run_inline, or a pop when it is the newest item of the worker's deque),
// and otherwise only work pushed after the wait began; then it
// parks on its own parker while a spare thread runs the pool's work in its place
// (pool_worker::wait_for, docs/pool.md). Any other thread sleeps on a condition variable.
// Either way the wake-up is a continuation on the task, so it cannot be lost: registration and
// completion are the complete-once protocol of task_state.
//
// Compiled in core/src/blocking_wait.cpp, so that the task headers need not include the pool.
#pragma once

namespace tpl::detail {

class task_core;

// Returns once `core` has completed (any outcome).
void wait_for_completion(task_core& core);

}  // namespace tpl::detail
