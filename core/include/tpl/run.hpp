/// \file
/// tpl::run — .NET's Task.Run: queue a callable on a pool and get its task.
///
/// ~~~text
///   run(fn)        on the default pool, from any thread (.NET's Task.Run, which always uses
///                  TaskScheduler.Default, even from a custom scheduler's thread)
///   run(pool, fn)  on `pool` (.NET's Task.Factory.StartNew with that scheduler, unwrapped)
///   run(..., fn, token)  with a cancellation token: if `token` is canceled before fn starts,
///                  the task ends canceled without running fn (at once, even while it is still
///                  queued); if fn throws operation_canceled for `token` while `token` is
///                  canceled, the task ends canceled; any other exception faults it. A task
///                  that started is never stopped from outside: fn polls the token.
/// ~~~
///
/// The task is waiting_to_run while queued, running while `fn` runs, then ran_to_completion
/// (with fn's value) or faulted (with what it threw). A callable that returns a task is
/// unwrapped, as Task.Run(`Func<Task<T>>`) is: the returned `task<T>` completes as the inner task
/// does (an empty inner handle ends it canceled, as .NET's Unwrap does for a null task).
///
/// `where` is the call's source location, recorded by diagnostics (`<tpl/diagnostics.hpp>`).
///
/// Misuse: a null callable (empty std::function, null function pointer) throws
/// std::invalid_argument; a pool that is shutting down throws invalid_operation (from outside
/// the pool), and the work is not queued.
#pragma once

#include <concepts>
#include <source_location>
#include <type_traits>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/run_task_core.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl {

template <class Fn>
  requires std::invocable<std::decay_t<Fn>&>
[[nodiscard]] auto run(thread_pool& pool, Fn&& fn, cancellation_token token = {},
                       const std::source_location& where = std::source_location::current()) {
  return detail::queue_run(pool, std::forward<Fn>(fn), std::move(token), where);
}

template <class Fn>
  requires std::invocable<std::decay_t<Fn>&>
[[nodiscard]] auto run(Fn&& fn, cancellation_token token = {},
                       const std::source_location& where = std::source_location::current()) {
  return detail::queue_run(thread_pool::default_pool(), std::forward<Fn>(fn), std::move(token), where);
}

}  // namespace tpl
