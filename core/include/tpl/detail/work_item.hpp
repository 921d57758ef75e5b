// The unit a pool runs: an intrusive, type-erased callable with no allocation of its own.
// Fork-join code keeps its work items on the stack of the frame that waits for them (the frame
// cannot return before they ran), so a task costs no heap allocation; submitted callables are
// wrapped in a heap item that deletes itself after running.
#pragma once

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::detail {

struct work_item {
  // Runs the item. `via_scheduler` is true when a worker's scheduling loop runs it (stolen,
  // taken from the global queue, or popped while helping), false only when the frame that
  // forked it runs it inline at its join. A forked item signals its joiner only in the first
  // case: in the second the joiner is the caller.
  using run_function = void (*)(work_item* self, bool via_scheduler);
  run_function run;
  // The pool's global queue links its items through this (injection_queue: a push never
  // allocates); meaningless while the item is not in that queue.
  work_item* next_in_queue = nullptr;
};

// A run() task's item: it knows the pool it was queued to, so that a blocking waiter runs it
// inline only on a worker of that pool (task_core::claim_and_run_inline). A waiter on another
// pool's worker leaves it to its own pool, as .NET's Task.Run work stays on the default pool
// whoever waits for it.
struct pool_work_item : work_item {
  thread_pool* target = nullptr;  // set before the item is queued, never changed after
};

// The frame of the coroutine `item` resumes when it is a coroutine's queued resumption (a
// `co_await tpl::yield()` or `co_await pool.schedule()` / `resume_on`), else nullptr. For the
// deadlock report (core/src/diagnostics.cpp); defined in core/src/task_scheduling.cpp.
[[nodiscard]] const void* resumed_coroutine(const work_item* item) noexcept;

}  // namespace tpl::detail
