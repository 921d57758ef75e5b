/// \file
/// tpl::wait_all, tpl::wait_any — .NET's Task.WaitAll and Task.WaitAny: block the calling
/// thread on several tasks (a pool worker helps and is compensated, as task::wait() is).
///
/// ~~~text
///   wait_all(range)                       returns when every task has completed; throws one
///                                         aggregate_exception with every fault and every
///                                         cancellation (a task_canceled each), in input order
///   wait_all(range, token)                ... or throws operation_canceled when token is
///   wait_all_for(range, timeout[, token]) ... or returns false when the time is up
///   wait_any(range)                       the index of the first task to complete (never
///                                         throws for the task's own outcome)
///   wait_any(range, token)                ... or throws operation_canceled
///   wait_any_for(range, timeout[, token]) ... or std::nullopt when the time is up (.NET: -1)
/// ~~~
///
/// A wait that gives up leaves nothing registered in the tasks. A negative timeout throws
/// std::invalid_argument; an empty range or an empty handle in it, as for when_all/when_any.
/// No tasks: wait_all returns at once; wait_any throws std::invalid_argument (as .NET).
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/exceptions.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/detail/task_kind.hpp"
#include "tpl/detail/timeout_argument.hpp"
#include "tpl/detail/timed_wait.hpp"
#include "tpl/task.hpp"
#include "tpl/when_any.hpp"

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {

template <class T>
bool wait_all_until(const std::vector<task<T>>& tasks, const wait_deadline& deadline, const cancellation_token& token) {
  require_valid_inputs("tpl::wait_all", tasks);
  // .NET's WaitAll(tasks, token) checks the token first: a canceled token throws even when every
  // task is complete.
  if (token.is_cancellation_requested()) throw operation_canceled(token);
  for (const task<T>& each : tasks) {
    const wait_outcome outcome = wait_for_completion_until(*each.core(), deadline, token);
    if (outcome == wait_outcome::timed_out) return false;
    if (outcome == wait_outcome::canceled) throw operation_canceled(token);
  }
  std::vector<std::exception_ptr> failures;
  for (const task<T>& each : tasks) {
    task_core& core = *each.core();
    if (core.state().status() == task_status::faulted) {
      core.state().mark_exception_observed();
      core.errors().append_to(failures);
    } else if (core.state().status() == task_status::canceled) {
      failures.push_back(core.cancellation());
    }
  }
  if (!failures.empty()) throw aggregate_exception(std::move(failures));
  return true;
}

template <class T>
std::optional<std::size_t> wait_any_until(std::vector<task<T>> tasks, const wait_deadline& deadline,
                                          const cancellation_token& token) {
  // A task that is already complete wins at once, without building a combinator.
  require_valid_inputs("tpl::wait_any", tasks);
  if (token.is_cancellation_requested()) throw operation_canceled(token);  // first, as .NET's WaitAny
  for (std::size_t index = 0; index < tasks.size(); ++index) {
    if (tasks[index].is_completed()) return index;
  }
  when_any_range_core<T>* core = nullptr;
  task<when_any_result<task<T>>> first = make_when_any_of_range(std::move(tasks), &core);
  const wait_outcome outcome = wait_for_completion_until(*first.core(), deadline, token);
  if (outcome != wait_outcome::completed && core->abandon()) {  // removed its registrations
    if (outcome == wait_outcome::canceled) throw operation_canceled(token);
    return std::nullopt;
  }
  // An input won (perhaps while this gave up: completion wins the tie). The winner may still be
  // writing the result: wait for the combinator itself.
  wait_for_completion(*first.core());
  return first.core()->value().index;
}

template <class Rep, class Period>
wait_deadline checked_deadline(const char* operation, std::chrono::duration<Rep, Period> timeout) {
  return is_infinite_timeout(timeout, operation) ? std::nullopt : deadline_after(timeout);
}

template <class Range>
concept task_range = std::ranges::input_range<Range> &&
                     is_task_v<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>;

}  // namespace detail
/// \endcond

template <detail::task_range Range>
void wait_all(Range&& tasks, const cancellation_token& token = {}) {
  (void)detail::wait_all_until(detail::collect_tasks(std::forward<Range>(tasks)), std::nullopt, token);
}

template <detail::task_range Range, class Rep, class Period>
[[nodiscard]] bool wait_all_for(Range&& tasks, std::chrono::duration<Rep, Period> timeout, const cancellation_token& token = {}) {
  const detail::wait_deadline deadline = detail::checked_deadline("tpl::wait_all_for", timeout);
  return detail::wait_all_until(detail::collect_tasks(std::forward<Range>(tasks)), deadline, token);
}

template <detail::task_range Range>
[[nodiscard]] std::size_t wait_any(Range&& tasks, const cancellation_token& token = {}) {
  return *detail::wait_any_until(detail::collect_tasks(std::forward<Range>(tasks)), std::nullopt, token);
}

template <detail::task_range Range, class Rep, class Period>
[[nodiscard]] std::optional<std::size_t> wait_any_for(Range&& tasks, std::chrono::duration<Rep, Period> timeout,
                                                      const cancellation_token& token = {}) {
  const detail::wait_deadline deadline = detail::checked_deadline("tpl::wait_any_for", timeout);
  return detail::wait_any_until(detail::collect_tasks(std::forward<Range>(tasks)), deadline, token);
}

}  // namespace tpl
