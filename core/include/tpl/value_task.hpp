/// \file
/// `tpl::value_task<T>` — .NET's `ValueTask<TResult>`: the result of an operation that usually
/// completes synchronously, without allocating when it does. It holds one of
///
/// ~~~text
///   the result itself       value_task<T>::from_result(v), value_task<>::completed(): no allocation
///   a task<T>               value_task<T>(t): the operation went asynchronous the ordinary way
///   a value_task_source     value_task<T>(source, token): a reusable source
///                           (manual_reset_value_task_source<T>), no allocation per operation
/// ~~~
///
/// and is consumed once: `co_await vt`, `std::move(vt).get()` (blocking) or
/// `std::move(vt).as_task()` (a `task<T>` that can be awaited any number of times). Consuming it
/// again, or using one that was moved from, throws invalid_operation; so does awaiting a source's
/// operation twice through another value_task, or after the source was reset (a stale version),
/// in every build. A value_task is move-only (.NET's is a copyable struct whose copies must not
/// be awaited twice; here the type enforces it).
///
/// A value_task is not a coroutine type: a function that completes synchronously returns
/// from_result, one that does not returns a `task<T>` (a coroutine) or a source's value_task.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/task_awaiter.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/value_task_source.hpp"

namespace tpl {

template <class T = void>
class value_task {
  struct no_value {};
  using stored_type = std::conditional_t<std::is_void_v<T>, no_value, T>;
  struct consumed {};
  struct inline_result {
    stored_type value;
  };
  struct source_operation {
    value_task_source<T>* source;
    std::uint64_t token;
  };
  using state_type = std::variant<consumed, inline_result, task<T>, source_operation>;

 public:
  using value_type = T;

  /// A value_task that completed synchronously with `value`: no allocation.
  template <class Value = stored_type>
    requires(!std::is_void_v<T>)
  [[nodiscard]] static value_task from_result(Value&& value) {
    return value_task(inline_result{stored_type(std::forward<Value>(value))});
  }
  /// A `value_task<>` that completed synchronously (.NET's ValueTask.CompletedTask).
  [[nodiscard]] static value_task completed()
    requires std::is_void_v<T>
  {
    return value_task(inline_result{});
  }

  /// The operation went asynchronous as a task (an empty task throws invalid_operation).
  explicit value_task(task<T> asynchronous) : state_(checked_task(std::move(asynchronous))) {}

  /// The operation `token` of a reusable source (usually source.task()).
  value_task(value_task_source<T>& source, std::uint64_t token) : state_(source_operation{&source, token}) {}

  value_task(value_task&& other) noexcept(std::is_nothrow_move_constructible_v<stored_type>)
      : state_(std::exchange(other.state_, consumed{})) {}
  value_task& operator=(value_task&& other) noexcept(std::is_nothrow_move_constructible_v<stored_type>) {
    if (this != &other) state_ = std::exchange(other.state_, consumed{});
    return *this;
  }
  value_task(const value_task&) = delete;
  value_task& operator=(const value_task&) = delete;

  /// false once consumed (awaited, get(), as_task()) or moved from.
  [[nodiscard]] bool valid() const noexcept { return !std::holds_alternative<consumed>(state_); }

  [[nodiscard]] bool is_completed() const { return outcome_status() != value_task_source_status::pending; }
  [[nodiscard]] bool is_completed_successfully() const { return outcome_status() == value_task_source_status::succeeded; }
  [[nodiscard]] bool is_faulted() const { return outcome_status() == value_task_source_status::faulted; }
  [[nodiscard]] bool is_canceled() const { return outcome_status() == value_task_source_status::canceled; }

  class awaiter;
  /// Consumes the value_task (an lvalue too: `co_await vt` leaves vt consumed).
  [[nodiscard]] awaiter operator co_await() & { return awaiter(take("co_await")); }
  [[nodiscard]] awaiter operator co_await() && { return awaiter(take("co_await")); }

  /// A `task<T>` for the operation, which may be awaited and waited on any number of times.
  /// Allocates unless the value_task already holds a task. Consumes the value_task.
  [[nodiscard]] task<T> as_task() && { return to_task(take("as_task")); }

  /// Blocks until the operation completes and returns its result. A faulted operation throws its
  /// exception itself and a canceled one task_canceled, as `co_await` does and as .NET's
  /// `ValueTask<T>.Result` does (not the aggregate_exception of `task<T>::get()`). Consumes the
  /// value_task.
  T get() && {
    state_type taken = take("get");
    if (auto* result = std::get_if<inline_result>(&taken)) {
      if constexpr (std::is_void_v<T>) {
        return;
      } else {
        return std::move(result->value);
      }
    }
    task<T> operation = to_task(std::move(taken));
    try {
      return std::move(operation).get();
    } catch (const aggregate_exception& wrapped) {
      // get() wrapped the operation's own exception (the first, for a task with several).
      if (wrapped.inner_exceptions().empty()) throw;
      std::rethrow_exception(wrapped.inner_exceptions().front());
    }
  }

 private:
  explicit value_task(inline_result result) : state_(std::move(result)) {}

  static task<T> checked_task(task<T> asynchronous) {
    if (!asynchronous.valid()) throw invalid_operation("tpl::value_task: constructed from an empty task");
    return asynchronous;
  }

  state_type take(const char* what) {
    if (!valid()) {
      throw invalid_operation(std::string("tpl::value_task::") + what +
                              ": already consumed or moved from (a value_task is awaited once; as_task() gives a task to share)");
    }
    return std::exchange(state_, consumed{});
  }

  value_task_source_status outcome_status() const {
    return std::visit(
        [](const auto& held) -> value_task_source_status {
          using held_type = std::decay_t<decltype(held)>;
          if constexpr (std::is_same_v<held_type, consumed>) {
            throw invalid_operation("tpl::value_task: already consumed or moved from");
          } else if constexpr (std::is_same_v<held_type, inline_result>) {
            return value_task_source_status::succeeded;
          } else if constexpr (std::is_same_v<held_type, task<T>>) {
            switch (held.status()) {
              case task_status::ran_to_completion: return value_task_source_status::succeeded;
              case task_status::faulted: return value_task_source_status::faulted;
              case task_status::canceled: return value_task_source_status::canceled;
              default: return value_task_source_status::pending;
            }
          } else {
            return held.source->get_status(held.token);
          }
        },
        state_);
  }

  /// Feeds a source's outcome into a completion source (the asynchronous half of as_task()).
  struct source_to_task {
    source_operation operation;
    task_completion_source<T> completion;

    static void transfer(source_operation operation, task_completion_source<T>& completion) {
      try {
        if constexpr (std::is_void_v<T>) {
          operation.source->get_result(operation.token);
          completion.set_result();
        } else {
          completion.set_result(operation.source->get_result(operation.token));
        }
      } catch (const operation_canceled& canceled) {
        completion.set_canceled(canceled.token());  // .NET's AsTask: TrySetCanceled
      } catch (...) {
        completion.set_exception(std::current_exception());
      }
    }
    static void on_completed(void* context) {
      std::unique_ptr<source_to_task> self(static_cast<source_to_task*>(context));
      transfer(self->operation, self->completion);
    }
  };

  static task<T> to_task(state_type taken) {
    if (auto* result = std::get_if<inline_result>(&taken)) {
      if constexpr (std::is_void_v<T>) {
        return completed_task();
      } else {
        return task<T>::from_result(std::move(result->value));
      }
    }
    if (auto* asynchronous = std::get_if<task<T>>(&taken)) return std::move(*asynchronous);
    const source_operation operation = std::get<source_operation>(taken);
    auto bridge = std::make_unique<source_to_task>(source_to_task{operation, task_completion_source<T>()});
    task<T> result = bridge->completion.task();
    if (operation.source->on_completed(operation.token, {&source_to_task::on_completed, bridge.get()})) {
      (void)bridge.release();  // on_completed owns it now
    } else {
      source_to_task::transfer(operation, bridge->completion);
    }
    return result;
  }

  state_type state_;
};

template <class T>
class value_task<T>::awaiter {
 public:
  explicit awaiter(state_type taken) : held_(std::move(taken)) {
    if (auto* asynchronous = std::get_if<task<T>>(&held_)) task_awaiter_.emplace(*asynchronous->core());
  }
  awaiter(const awaiter&) = delete;
  awaiter& operator=(const awaiter&) = delete;

  [[nodiscard]] bool await_ready() const {
    if (std::holds_alternative<inline_result>(held_)) return true;
    if (task_awaiter_) return task_awaiter_->await_ready();
    const source_operation& operation = std::get<source_operation>(held_);
    return operation.source->get_status(operation.token) != value_task_source_status::pending;
  }

  bool await_suspend(std::coroutine_handle<> awaiting) {
    if (task_awaiter_) return task_awaiter_->await_suspend(awaiting);
    coroutine_ = awaiting;
    const source_operation& operation = std::get<source_operation>(held_);
    return operation.source->on_completed(operation.token, {&awaiter::resume, this});
  }

  T await_resume() {
    if (task_awaiter_) return task_awaiter_->await_resume();
    if (auto* result = std::get_if<inline_result>(&held_)) {
      if constexpr (std::is_void_v<T>) {
        return;
      } else {
        return std::move(result->value);
      }
    }
    const source_operation& operation = std::get<source_operation>(held_);
    return operation.source->get_result(operation.token);
  }

 private:
  static void resume(void* context) {
    auto* self = static_cast<awaiter*>(context);
    if (detail::has_stack_room()) {
      self->coroutine_.resume();
    } else {
      self->queued_.handle = self->coroutine_;
      detail::queue_to_ambient_pool(&self->queued_);
    }
  }

  state_type held_;
  // When held_ is a task. Moving out: the value_task was consumed by this await, so a move-only
  // result is the awaiter's (as `co_await std::move(t)` on a task).
  std::optional<detail::task_awaiter<T, true>> task_awaiter_;
  std::coroutine_handle<> coroutine_;
  detail::resumption_item queued_;  // used only when the stack is too low to resume inline
};

}  // namespace tpl
