// Where task code sends work it does not run inline: a coroutine resumption or a continuation
// queued because the stack is low, asked for (yield(), run_continuations_asynchronously), or
// not allowed inline (a continue_with task without execute_synchronously).
//
// The pool is the ambient one: the pool whose worker the caller is, else the default pool (as
// .NET queues to TaskScheduler.Current, which is the default scheduler outside pool threads).
// If that pool is shutting down and refuses work from outside, the work runs inline on the
// caller instead: nothing queued by task code is ever dropped.
//
// The default pool is looked up when work is queued, not when a continuation is registered:
// the same pool either way (it is one per process), and a registration from a thread that is
// not a worker creates nothing. So model builds, whose threads are not workers and which
// cannot keep a process-wide pool across iterations, run this same code: a model that queued
// from a non-worker would create the default pool and fail (none does; model_pool runs the
// queueing from workers).
//
// The functions are compiled (core/src/task_scheduling.cpp), so that the task headers need not
// include the pool, its deques and its sleeper (issue 15's compile-time goal). Queueing is
// already the slow path (the item goes through a deque or the injection queue); the one call on
// a faster path is ambient_target(), once per continue_with registration and I/O wait, a
// thread-local read behind a call.
#pragma once

#include <coroutine>

#include "tpl/detail/work_item.hpp"

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::detail {

// A coroutine to resume, queued as a work item. It lives in the suspended coroutine's frame
// (inside the awaiter that queued it), so queueing a resumption allocates nothing.
struct resumption_item : work_item {
  resumption_item() : work_item{&resumption_item::resume} {}
  std::coroutine_handle<> handle;
  static void resume(work_item* self, bool) { static_cast<resumption_item*>(self)->handle.resume(); }
};

// Queues `item` on the ambient pool (a worker of it pushes to its own deque); runs it inline
// when the pool no longer accepts work from outside, or when there is no memory to queue it: a
// submit that throws has queued nothing, and task code calls this where a lost item would
// strand its awaiters (a completion source's continuations, a coroutine's final step: issue
// 10). Throws std::system_error if the default pool must be created and cannot start its
// threads.
void queue_to_ambient_pool(work_item* item);

// Where a continuation task will queue its body; chosen when it is registered: the pool of the
// registering worker, or (nullptr) the default pool, looked up when the body is queued.
struct scheduling_target {
  thread_pool* pool;
};
[[nodiscard]] scheduling_target ambient_target() noexcept;

// Queues `item` to `target`'s pool; runs it here when the default pool cannot start (no
// threads, no memory).
void queue_to(scheduling_target target, work_item* item);

}  // namespace tpl::detail
