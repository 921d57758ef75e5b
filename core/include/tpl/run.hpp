// tpl::run — .NET's Task.Run: queue a callable on a pool and get its task.
//
//   run(fn)        on the ambient pool: the pool whose worker calls it, else the default pool
//   run(pool, fn)  on `pool`
//
// The task is waiting_to_run while queued, running while `fn` runs, then ran_to_completion
// (with fn's value) or faulted (with what it threw). A callable that returns a task is
// unwrapped, as Task.Run(Func<Task<T>>) is: the returned task<T> completes as the inner task
// does (an empty inner handle ends it canceled, as .NET's Unwrap does for a null task).
//
// Misuse: a null callable (empty std::function, null function pointer) throws
// std::invalid_argument; a pool that is shutting down throws invalid_operation (from outside
// the pool), and the work is not queued.
#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "tpl/detail/callable_checks.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl {

namespace detail {

template <class R>
struct unwrapped_result {
  using type = R;
};
template <class U>
struct unwrapped_result<task<U>> {
  using type = U;
};

template <class Fn>
using run_task_result_t = typename unwrapped_result<std::invoke_result_t<Fn&>>::type;

// The task of a plain callable: its state and its queued work item in one allocation.
template <class R, class Fn>
class run_task_core final : public task_core_of<R>, public work_item {
 public:
  template <class Callable>
  explicit run_task_core(Callable&& callable)
      // Two references: the returned handle and the queued item.
      : task_core_of<R>(task_status::created, 2, &destroy),
        work_item{&run_task_core::run_item},
        fn_(std::forward<Callable>(callable)) {}

 private:
  static void run_item(work_item* self, bool) {
    auto* me = static_cast<run_task_core*>(self);
    (void)me->state().try_transition(task_status::waiting_to_run, task_status::running);
    try {
      if constexpr (std::is_void_v<R>) {
        me->fn_();
        me->set_value();
      } else {
        me->set_value(me->fn_());
      }
    } catch (...) {
      me->add_error(std::current_exception());
    }
    me->state().complete(me->outcome_status());  // the item is the task's only completer
    me->release();
  }
  static void destroy(task_core* core) noexcept { delete static_cast<run_task_core*>(core); }

  Fn fn_;
};

// The task of a callable that returns task<U>: runs it, then completes as the inner task does.
template <class U, class Fn>
class unwrapping_run_task_core final : public task_core_of<U>, public work_item, public continuation {
 public:
  template <class Callable>
  explicit unwrapping_run_task_core(Callable&& callable)
      // Two references: the returned handle, and the work in flight (the queued item, then the
      // continuation on the inner task).
      : task_core_of<U>(task_status::created, 2, &destroy),
        work_item{&unwrapping_run_task_core::run_item},
        continuation(&unwrapping_run_task_core::inner_completed),
        fn_(std::forward<Callable>(callable)) {}

 private:
  static void run_item(work_item* self, bool) {
    auto* me = static_cast<unwrapping_run_task_core*>(self);
    (void)me->state().try_transition(task_status::waiting_to_run, task_status::running);
    try {
      me->inner_ = me->fn_();
    } catch (...) {
      me->add_error(std::current_exception());
      me->finish();
      return;
    }
    if (!me->inner_.valid()) {
      me->set_canceled_outcome();
      me->finish();
      return;
    }
    // Waiting for the inner task now, as .NET's unwrap proxy does.
    (void)me->state().try_transition(task_status::running, task_status::waiting_for_activation);
    if (!me->inner_.core()->state().add_continuation(me)) inner_completed(me);
  }
  static void inner_completed(continuation* self) {
    auto* me = static_cast<unwrapping_run_task_core*>(self);
    try {
      copy_outcome(*me->inner_.core(), *me);
    } catch (...) {
      me->add_error(std::current_exception());  // copying the value threw
    }
    me->finish();
  }
  void finish() {
    this->state().complete(this->outcome_status());  // the only completer
    inner_ = task<U>();  // not the inner task's last handle: its completer still holds one
    this->release();
  }
  static void destroy(task_core* core) noexcept { delete static_cast<unwrapping_run_task_core*>(core); }

  Fn fn_;
  task<U> inner_;
};

}  // namespace detail

template <class Fn>
auto run(thread_pool& pool, Fn&& fn) -> task<detail::run_task_result_t<std::decay_t<Fn>>> {
  using callable = std::decay_t<Fn>;
  static_assert(std::is_invocable_v<callable&>, "tpl::run: fn must be callable with no arguments");
  using result = detail::run_task_result_t<callable>;
  detail::reject_null_callable(fn, "tpl::run");
  using core_type = std::conditional_t<std::is_same_v<std::invoke_result_t<callable&>, task<result>>,
                                       detail::unwrapping_run_task_core<result, callable>,
                                       detail::run_task_core<result, callable>>;
  auto* core = new core_type(std::forward<Fn>(fn));
  task<result> handle(detail::adopt_reference, core);
  (void)core->state().try_transition(task_status::created, task_status::waiting_to_run);
  try {
    pool.submit_item(core);
  } catch (...) {
    core->release();  // the item's reference: it will never run
    throw;
  }
  return handle;
}

template <class Fn>
auto run(Fn&& fn) -> task<detail::run_task_result_t<std::decay_t<Fn>>> {
  return run(detail::ambient_pool(), std::forward<Fn>(fn));
}

}  // namespace tpl
