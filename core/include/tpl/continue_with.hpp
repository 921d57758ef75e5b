/// \file
/// tpl::continue_with — .NET's Task.ContinueWith: a task that runs `fn(antecedent)` once the
/// antecedent completes, and completes with what fn returns or throws.
///
/// Options (.NET's TaskContinuationOptions, same bits): not_on_ran_to_completion,
/// not_on_faulted, not_on_canceled, and the only_on_* combinations of two of them. A
/// continuation whose condition does not hold ends canceled without running fn; asking for
/// none of the three outcomes throws std::invalid_argument, as .NET does. execute_synchronously
/// runs fn on the thread that completed the antecedent (or, if it was already complete, on the
/// caller) instead of queueing it, unless that thread's stack runs low.
///
/// Without execute_synchronously fn is queued on `pool` if given, else on the ambient pool at
/// the time of the call (.NET's TaskScheduler.Current). Status: waiting_for_activation until the
/// antecedent completes, waiting_to_run while queued, running, then final.
///
/// Unlike Task.ContinueWith, an fn that returns a task is not unwrapped (neither does .NET:
/// it returns `Task<Task<T>>`); co_await the inner task, or wrap fn in run().
#pragma once

#include <concepts>
#include <cstdint>
#include <exception>
#include <source_location>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "tpl/detail/callable_checks.hpp"
#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/task.hpp"

#include "tpl/thread_pool.hpp"

namespace tpl {

enum class continuation_options : std::uint32_t {
  none = 0,
  not_on_ran_to_completion = 0x10000,
  not_on_faulted = 0x20000,
  not_on_canceled = 0x40000,
  only_on_ran_to_completion = not_on_faulted | not_on_canceled,
  only_on_faulted = not_on_ran_to_completion | not_on_canceled,
  only_on_canceled = not_on_ran_to_completion | not_on_faulted,
  execute_synchronously = 0x80000,
};

constexpr continuation_options operator|(continuation_options left, continuation_options right) noexcept {
  return static_cast<continuation_options>(static_cast<std::uint32_t>(left) | static_cast<std::uint32_t>(right));
}
constexpr bool has_option(continuation_options set, continuation_options option) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(option)) == static_cast<std::uint32_t>(option);
}

/// \cond TPL_INTERNALS
namespace detail {

constexpr bool continuation_wanted(continuation_options options, task_status antecedent) noexcept {
  switch (antecedent) {
    case task_status::ran_to_completion:
      return !has_option(options, continuation_options::not_on_ran_to_completion);
    case task_status::faulted:
      return !has_option(options, continuation_options::not_on_faulted);
    default:
      return !has_option(options, continuation_options::not_on_canceled);
  }
}

template <class R, class T, class Fn>
class continuation_task_core final : public task_core_of<R>, public continuation, public work_item {
 public:
  template <class Callable>
  continuation_task_core(Callable&& callable, task<T> antecedent, continuation_options options,
                         scheduling_target target)
      // Two references: the returned handle and the registration on the antecedent.
      : task_core_of<R>(task_status::waiting_for_activation, 2, &destroy),
        continuation(&continuation_task_core::antecedent_completed),
        work_item{&continuation_task_core::run_item},
        fn_(std::forward<Callable>(callable)),
        antecedent_(std::move(antecedent)),
        options_(options),
        target_(target) {}

  static void antecedent_completed(continuation* self) {
    auto* me = static_cast<continuation_task_core*>(self);
    if (!continuation_wanted(me->options_, me->antecedent_.status())) {
      me->set_canceled_outcome();
      me->finish();
      return;
    }
    if (has_option(me->options_, continuation_options::execute_synchronously) && has_stack_room()) {
      (void)me->state().try_transition(task_status::waiting_for_activation, task_status::running);
      me->run_body();
      return;
    }
    (void)me->state().try_transition(task_status::waiting_for_activation, task_status::waiting_to_run);
    queue_to(me->target_, me);
  }

 private:
  static void run_item(work_item* self, bool) {
    auto* me = static_cast<continuation_task_core*>(self);
    (void)me->state().try_transition(task_status::waiting_to_run, task_status::running);
    me->run_body();
  }
  void run_body() {
    try {
      if constexpr (std::is_void_v<R>) {
        fn_(std::as_const(antecedent_));
        this->set_value();
      } else {
        this->set_value(fn_(std::as_const(antecedent_)));
      }
    } catch (...) {
      this->add_error(std::current_exception());
    }
    finish();
  }
  void finish() {
    this->state().complete(this->outcome_status());  // the only completer
    antecedent_ = task<T>();
    this->release();
  }
  static void destroy(task_core* core) noexcept { delete static_cast<continuation_task_core*>(core); }

  Fn fn_;
  task<T> antecedent_;
  continuation_options options_;
  scheduling_target target_;
};

template <class T, class Fn>
auto make_continuation(const task<T>& antecedent, Fn&& fn, continuation_options options, scheduling_target target,
                       const std::source_location& where)
    -> task<std::invoke_result_t<std::decay_t<Fn>&, const task<T>&>> {
  using callable = std::decay_t<Fn>;
  using result = std::invoke_result_t<callable&, const task<T>&>;
  if (!antecedent.valid()) {
    throw invalid_operation("tpl::continue_with: the antecedent task handle is empty (default-constructed or moved-from)");
  }
  reject_null_callable(fn, "tpl::continue_with");
  if (has_option(options, continuation_options::not_on_ran_to_completion) &&
      has_option(options, continuation_options::not_on_faulted) &&
      has_option(options, continuation_options::not_on_canceled)) {
    throw std::invalid_argument("tpl::continue_with: the options exclude every outcome; the continuation could never run");
  }
  auto* core = new continuation_task_core<result, T, callable>(std::forward<Fn>(fn), antecedent, options, target);
  task<result> handle(adopt_reference, core);
  diagnostics_hooks::task_created(*core, diagnostics::task_origin::continuation, where);
  diagnostics_hooks::waits_for(*core, antecedent.core()->state());
  if (!antecedent.core()->state().add_continuation(core)) {
    continuation_task_core<result, T, callable>::antecedent_completed(core);
  }
  return handle;
}

}  // namespace detail
/// \endcond

template <class T, class Fn>
  requires std::invocable<std::decay_t<Fn>&, const task<T>&>
[[nodiscard]] auto continue_with(const task<T>& antecedent, Fn&& fn, continuation_options options = continuation_options::none,
                                 const std::source_location& where = std::source_location::current()) {
  return detail::make_continuation(antecedent, std::forward<Fn>(fn), options, detail::ambient_target(), where);
}

template <class T, class Fn>
  requires std::invocable<std::decay_t<Fn>&, const task<T>&>
[[nodiscard]] auto continue_with(const task<T>& antecedent, thread_pool& pool, Fn&& fn,
                   continuation_options options = continuation_options::none,
                   const std::source_location& where = std::source_location::current()) {
  return detail::make_continuation(antecedent, std::forward<Fn>(fn), options, detail::scheduling_target{&pool}, where);
}

}  // namespace tpl
