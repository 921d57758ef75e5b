// run()'s tasks (tpl/run.hpp): a callable's task state and its queued work item in one
// allocation, the early cancellation of a queued task by its token, and the unwrapping of a
// callable that returns a task.
#pragma once

#include <exception>
#include <source_location>
#include <type_traits>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/callable_checks.hpp"
#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/make_task_canceled.hpp"
#include "tpl/detail/pool_access.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::detail {

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

// What run() tasks with a token share: the early cancellation of a queued task, and the
// mapping of fn's operation_canceled. `Core` is the task's typed state.
template <class R>
class cancelable_run_core : public task_core_of<R>, public pool_work_item {
 protected:
  cancelable_run_core(task_core::destroy_function destroy, work_item::run_function run, cancellation_token token)
      // Two references: the returned handle and the queued item (then, for an unwrapping
      // task, the continuation on the inner task).
      : task_core_of<R>(task_status::created, 2, destroy), pool_work_item{{run}}, token_(std::move(token)) {
    // A waiter may run the item inline while it is still queued (task_core::claim_and_run_inline)
    // only when no token is involved: two concurrent start()s would race on registration_.
    this->set_queued_item(static_cast<pool_work_item*>(this), !token_.can_be_canceled());
  }

 public:

  // Before queueing: a cancellation of the token while the task waits ends it at once. The
  // item still runs later, only to find the task complete and drop its reference. The callback
  // holds a reference of its own (it may still be running when the item is done), dropped when
  // it has run or by start() when start() removed it before it ran.
  void watch_token() {
    if (!token_.can_be_canceled()) return;
    std::exception_ptr cancellation = std::make_exception_ptr(task_canceled(token_));  // before any race
    this->add_reference();
    try {
      registration_ = token_.register_callback([this, cancellation] {
        if (this->state().try_reserve_completion_if(task_status::waiting_to_run)) {
          this->set_canceled_outcome(cancellation);
          this->state().complete(task_status::canceled);
        }
        this->release();  // may destroy this task (and the registration, from inside its callback: no wait)
      });
    } catch (...) {
      this->release();  // the callback never registered: its reference (never the last one)
      throw;
    }
  }

  enum class start_result {
    run_fn,             // the task is running: call fn, then complete
    complete_canceled,  // the token is canceled: complete (the outcome is written), skip fn
    already_completed,  // the cancellation callback completed it while it was queued
  };
  // First step of the item.
  start_result start() {
    const bool started = this->state().try_transition(task_status::waiting_to_run, task_status::running);
    // Remove the callback without waiting for it (it may be running complete(), and continuations,
    // on the cancelling thread: waiting here could wait for work queued behind this item). If
    // removed, its reference is dropped here (never the last: the item holds one); if not, it
    // drops it itself. The registration object stays until the task is destroyed.
    if (registration_.unregister()) this->release();
    if (!started) return start_result::already_completed;
    if (token_.is_cancellation_requested()) {
      this->set_canceled_outcome(make_task_canceled(token_));  // cannot throw
      return start_result::complete_canceled;
    }
    return start_result::run_fn;
  }

  // Records what fn threw: its own token's cancellation cancels, anything else faults.
  void record_exception() {
    try {
      throw;
    } catch (const operation_canceled& canceled) {
      if (token_.can_be_canceled() && canceled.token() == token_ && token_.is_cancellation_requested()) {
        this->set_canceled_outcome(make_task_canceled(token_));  // cannot throw
        return;
      }
      this->add_error(std::current_exception());
    } catch (...) {
      this->add_error(std::current_exception());
    }
  }

  ~cancelable_run_core() = default;

  cancellation_token token_;
  cancellation_registration registration_;  // written before queueing; removed (not waited for) by start()
};

// The task of a plain callable: its state and its queued work item in one allocation.
template <class R, class Fn>
class run_task_core final : public cancelable_run_core<R> {
 public:
  template <class Callable>
  run_task_core(Callable&& callable, cancellation_token token)
      : cancelable_run_core<R>(&run_task_core::destroy, &run_task_core::run_item, std::move(token)),
        fn_(std::forward<Callable>(callable)) {}

 private:
  static void run_item(work_item* self, bool) {
    auto* me = static_cast<run_task_core*>(self);
    const auto started = me->start();
    if (started == run_task_core::start_result::already_completed) {
      me->release();
      return;
    }
    if (started == run_task_core::start_result::run_fn) {
      try {
        if constexpr (std::is_void_v<R>) {
          me->fn_();
          me->set_value();
        } else {
          me->set_value(me->fn_());
        }
      } catch (...) {
        me->record_exception();
      }
    }
    me->state().complete(me->outcome_status());  // the item is the only completer now
    me->release();
  }
  static void destroy(task_core* core) noexcept { delete static_cast<run_task_core*>(core); }

  Fn fn_;
};

// The task of a callable that returns task<U>: runs it, then completes as the inner task does.
template <class U, class Fn>
class unwrapping_run_task_core final : public cancelable_run_core<U>, public continuation {
 public:
  template <class Callable>
  unwrapping_run_task_core(Callable&& callable, cancellation_token token)
      : cancelable_run_core<U>(&unwrapping_run_task_core::destroy, &unwrapping_run_task_core::run_item,
                               std::move(token)),
        continuation(&unwrapping_run_task_core::inner_completed),
        fn_(std::forward<Callable>(callable)) {}

 private:
  static void run_item(work_item* self, bool) {
    auto* me = static_cast<unwrapping_run_task_core*>(self);
    const auto started = me->start();
    if (started == unwrapping_run_task_core::start_result::already_completed) {
      me->release();
      return;
    }
    if (started == unwrapping_run_task_core::start_result::complete_canceled) {
      me->finish();
      return;
    }
    try {
      me->inner_ = me->fn_();
    } catch (...) {
      me->record_exception();
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
    diagnostics_hooks::continuation_registering(me->inner_.core()->state());
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
    this->state().complete(this->outcome_status());  // the only completer now
    inner_ = task<U>();  // not the inner task's last handle: its completer still holds one
    this->release();
  }
  static void destroy(task_core* core) noexcept { delete static_cast<unwrapping_run_task_core*>(core); }

  Fn fn_;
  task<U> inner_;
};

template <class Fn>
auto queue_run(thread_pool& pool, Fn&& fn, cancellation_token token, const std::source_location& where)
    -> task<run_task_result_t<std::decay_t<Fn>>> {
  using callable = std::decay_t<Fn>;
  static_assert(std::is_invocable_v<callable&>, "tpl::run: fn must be callable with no arguments");
  using result = run_task_result_t<callable>;
  reject_null_callable(fn, "tpl::run");
  if (token.is_cancellation_requested()) {
    return task<result>::from_canceled(token);  // .NET: a canceled token never queues
  }
  using core_type = std::conditional_t<std::is_same_v<std::invoke_result_t<callable&>, task<result>>,
                                       unwrapping_run_task_core<result, callable>, run_task_core<result, callable>>;
  auto* core = new core_type(std::forward<Fn>(fn), std::move(token));
  task<result> handle(adopt_reference, core);
  diagnostics_hooks::task_created(*core, diagnostics::task_origin::run, where);
  (void)core->state().try_transition(task_status::created, task_status::waiting_to_run);
  try {
    core->watch_token();  // before queueing: the item may start at once
    core->target = &pool;  // before queueing: read by a waiter that may claim the item
    pool_access::submit_item(pool, core);
  } catch (...) {
    if (core->registration_.unregister()) core->release();  // the callback's reference, if it was taken
    core->release();  // the item's reference: it will never run
    throw;
  }
  return handle;
}

}  // namespace tpl::detail
