/// \file
/// `tpl::task<T>` and `tpl::task<>` — .NET's `Task<TResult>` and Task.
///
/// A task is a cheap, copyable handle to shared state (copying adds a reference; the last handle
/// frees the state). Tasks are hot: whoever gives you one has started the work. Any number of
/// threads may hold, await, wait on and query the same task.
///
/// ~~~text
///   co_await t        the value; or the first exception, rethrown as thrown; or task_canceled
///   t.get(), t.wait() block (a pool worker runs other work meanwhile); throw aggregate_exception
///                     with every exception (a canceled task: one task_canceled), as .NET's
///                     Result and Wait() do
///   t.wait_for(d), t.wait_until(tp), t.wait(token)
///                     the same, but give up: false when the time is up, operation_canceled when
///                     the token is canceled (a completed task wins a tie); the waiter's node is
///                     taken back out of the task (detail/timed_wait.hpp)
///   t.exception()     the aggregate of a faulted task, without throwing; empty otherwise
/// ~~~
///
/// A coroutine returning `task<T>` runs synchronously until its first co_await of something
/// incomplete (detail/task_promise.hpp). tpl::run() queues work on a pool; completion sources
/// (task_completion_source.hpp) and continue_with (continue_with.hpp) make the other kinds.
///
/// Differences from .NET that C++ forces: `co_await t` and `t.get()` give `const T&` (.NET hands
/// out the same object each time) and `co_await std::move(t)` / `std::move(t).get()` move it out,
/// so a move-only T works (docs/tasks.md says who may move); a default-constructed or moved-from
/// handle is empty: its queries stop the program with a contract violation, and every other use
/// throws invalid_operation.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/blocking_wait.hpp"
#include "tpl/detail/task_awaiter.hpp"
#include "tpl/detail/contract_violation.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/task_promise.hpp"
#include "tpl/detail/timeout_argument.hpp"
#include "tpl/detail/timed_wait.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/task_status.hpp"

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {

// The state of a task made already complete (from_result, from_exception, from_canceled).
template <class T>
class completed_task_core final : public task_core_of<T> {
 public:
  completed_task_core() : task_core_of<T>(task_status::waiting_for_activation, 1, &destroy) {}

 private:
  static void destroy(task_core* core) noexcept { delete static_cast<completed_task_core*>(core); }
};

}  // namespace detail
/// \endcond

template <class T = void>
class [[nodiscard]] task {
  static_assert(!std::is_reference_v<T>, "tpl::task<T>: T must not be a reference");
  static_assert(std::is_void_v<T> || std::is_copy_constructible_v<T> || std::is_move_constructible_v<T>,
                "tpl::task<T>: T must be copyable or movable");

 public:
  /// \cond TPL_INTERNALS
  using promise_type = detail::task_promise<T>;  // what makes a function returning task<T> a coroutine
  /// \endcond
  using value_type = T;

  task() noexcept = default;
  task(const task& other) noexcept : core_(other.core_) {
    if (core_ != nullptr) core_->add_reference();
  }
  task(task&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  task& operator=(task other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }
  ~task() {
    if (core_ != nullptr) core_->release();
  }

  /// \cond TPL_INTERNALS
  // Takes over one reference the caller holds.
  task(detail::adopt_reference_t, detail::task_core_of<T>* core) noexcept : core_(core) {}
  /// \endcond

  /// false for a default-constructed or moved-from handle, the only state in which the other
  /// members throw invalid_operation.
  [[nodiscard]] bool valid() const noexcept { return core_ != nullptr; }

  /// Queries never throw (as .NET's never do). On an empty handle they are a contract
  /// violation: the program stops with a message (detail/contract_violation.hpp).
  [[nodiscard]] task_status status() const noexcept {
    if (core_ == nullptr) {
      detail::contract_violation("tpl::task::status: the task handle is empty (default-constructed or moved-from)");
    }
    return core_->state().status();
  }
  [[nodiscard]] bool is_completed() const noexcept { return is_final(status()); }
  [[nodiscard]] bool is_completed_successfully() const noexcept { return status() == task_status::ran_to_completion; }
  [[nodiscard]] bool is_faulted() const noexcept { return status() == task_status::faulted; }
  [[nodiscard]] bool is_canceled() const noexcept { return status() == task_status::canceled; }

  /// Blocks until the task completes; throws aggregate_exception unless it ran to completion.
  void wait() const {
    detail::task_core_of<T>& core = checked("wait");
    detail::wait_for_completion(core);
    core.rethrow_if_unsuccessful_for_blocking_wait();
  }

  /// Blocks until the task completes, as wait(), or until `token` is canceled: then throws
  /// operation_canceled (carrying the token) unless the task completed first.
  void wait(const cancellation_token& token) const {
    detail::task_core_of<T>& core = checked("wait");
    (void)conclude_wait(core, detail::wait_for_completion_until(core, std::nullopt, token), token);
  }

  /// wait(token), but for at most `timeout`: false if the task has not completed by then
  /// (.NET's Wait(TimeSpan, CancellationToken)). A zero timeout only looks; -1 ms (.NET's
  /// Timeout.InfiniteTimeSpan) waits without a limit. Any other negative timeout, and NaN, throw
  /// std::invalid_argument.
  template <class Rep, class Period>
  [[nodiscard]] bool wait_for(std::chrono::duration<Rep, Period> timeout, const cancellation_token& token = {}) const {
    detail::task_core_of<T>& core = checked("wait_for");
    const detail::wait_deadline deadline =
        detail::is_infinite_timeout(timeout, "tpl::task::wait_for") ? std::nullopt : detail::deadline_after(timeout);
    return conclude_wait(core, detail::wait_for_completion_until(core, deadline, token), token);
  }

  /// wait_for() until a point in time of any clock (measured on steady_clock from now).
  template <class Clock, class Duration>
  [[nodiscard]] bool wait_until(std::chrono::time_point<Clock, Duration> deadline, const cancellation_token& token = {}) const {
    detail::task_core_of<T>& core = checked("wait_until");
    const auto left = deadline - Clock::now();
    detail::require_not_nan(left, "tpl::task::wait_until");
    const detail::wait_deadline steady_deadline =
        left <= decltype(left)::zero() ? detail::wait_deadline(std::chrono::steady_clock::now()) : detail::deadline_after(left);
    return conclude_wait(core, detail::wait_for_completion_until(core, steady_deadline, token), token);
  }

  /// wait(), then the result: a copy, or for a move-only T a reference to the task's one value
  /// (valid while a handle to the task lives).
  detail::awaited_result_t<T, false> get() const& {
    wait();
    if constexpr (!std::is_void_v<T>) return core_->value();
  }
  /// On an rvalue (`std::move(t).get()`, a temporary): as above, except that a move-only result
  /// is moved out, as `co_await std::move(t)` does.
  detail::awaited_result_t<T, true> get() && {
    wait();
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (!detail::copyable_result_v<T>) {
      return core_->take_value();
    } else {
      return core_->value();
    }
  }

  /// The aggregate of a faulted task's exceptions (marking them observed); empty for a task that
  /// is not (yet) faulted. Does not wait.
  [[nodiscard]] std::optional<aggregate_exception> exception() const {
    return checked("exception").exception_if_faulted();
  }

  /// `co_await t`: a copy of the result (a const reference for a move-only T). `co_await
  /// std::move(t)` (or of a temporary) moves a move-only result out of the task: only for the
  /// last reader of the value; other handles see the moved-from object afterwards.
  detail::task_awaiter<T> operator co_await() const& { return detail::task_awaiter<T>(checked("co_await")); }
  detail::task_awaiter<T, true> operator co_await() const&& {
    return detail::task_awaiter<T, true>(checked("co_await"));
  }

  template <class... Args>
  [[nodiscard]] static task from_result(Args&&... args) {
    auto* core = new detail::completed_task_core<T>();
    try {
      core->set_value(std::forward<Args>(args)...);
    } catch (...) {
      core->release();
      throw;
    }
    core->state().complete(task_status::ran_to_completion);
    return task(detail::adopt_reference, core);
  }
  [[nodiscard]] static task from_exception(std::exception_ptr error) {
    if (error == nullptr) throw std::invalid_argument("tpl::task::from_exception: the exception_ptr is null");
    auto* core = new detail::completed_task_core<T>();
    try {
      core->add_error(std::move(error));
    } catch (...) {
      core->release();
      throw;
    }
    core->state().complete(task_status::faulted);
    return task(detail::adopt_reference, core);
  }
  /// A canceled task. `token`: the token whose cancellation this reports (awaiters get
  /// task_canceled carrying it); as in .NET's Task.FromCanceled, it must be canceled, else
  /// std::invalid_argument. Without a token (a tpl extension) the task carries none().
  [[nodiscard]] static task from_canceled(const cancellation_token& token) {
    if (!token.is_cancellation_requested()) {
      throw std::invalid_argument("tpl::task::from_canceled: the token is not canceled");
    }
    return canceled_with(token);
  }
  [[nodiscard]] static task from_canceled() { return canceled_with(cancellation_token::none()); }

  /// \cond TPL_INTERNALS
  // The shared state (nullptr for an empty handle).
  [[nodiscard]] detail::task_core_of<T>* core() const noexcept { return core_; }
  /// \endcond

 private:
  static task canceled_with(const cancellation_token& token) {
    auto* core = new detail::completed_task_core<T>();
    try {
      core->set_canceled_outcome(std::make_exception_ptr(task_canceled(token)));
    } catch (...) {
      core->release();
      throw;
    }
    core->state().complete(task_status::canceled);
    return task(detail::adopt_reference, core);
  }

  static bool conclude_wait(detail::task_core_of<T>& core, detail::wait_outcome outcome, const cancellation_token& token) {
    if (outcome == detail::wait_outcome::timed_out) return false;
    if (outcome == detail::wait_outcome::canceled) throw operation_canceled(token);
    // .NET's Wait(token): a canceled task seen with a canceled token throws the token's
    // OperationCanceledException (ThrowIfCancellationRequested) ahead of the aggregate.
    if (token.is_cancellation_requested() && core.state().status() == task_status::canceled) {
      throw operation_canceled(token);
    }
    core.rethrow_if_unsuccessful_for_blocking_wait();
    return true;
  }

  detail::task_core_of<T>& checked(const char* operation) const {
    if (core_ == nullptr) {
      throw invalid_operation(std::string("tpl::task::") + operation +
                              ": the task handle is empty (default-constructed or moved-from)");
    }
    return *core_;
  }

  detail::task_core_of<T>* core_ = nullptr;
};

/// .NET's Task.CompletedTask: a `task<>` that already ran to completion.
[[nodiscard]] inline task<> completed_task() { return task<>::from_result(); }

}  // namespace tpl
