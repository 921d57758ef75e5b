/// \file
/// `tpl::manual_reset_value_task_source<T>` — .NET's `ManualResetValueTaskSourceCore<T>` and the
/// `IValueTaskSource<T>` around it in one: a reusable completion source for `value_task<T>`. The owner
/// hands out task() for the current operation, a producer completes it once (set_result /
/// set_exception), one awaiter consumes it, then the owner calls reset() and reuses the source
/// for the next operation: no allocation per operation.
///
/// ~~~text
///   source.task()            a value_task<T> for the current operation (its version token)
///   source.set_result(v)     completes it; runs the awaiter's continuation on this thread
///   source.set_exception(e)  completes it faulted (canceled for an operation_canceled)
///   source.reset()           the next operation: a new version; value_tasks of the old one
///                            throw invalid_operation from then on
/// ~~~
///
/// Misuse throws invalid_operation in every build (never undefined behaviour): completing twice,
/// a second awaiter, reading the result twice or before completion, a stale token, reset() while
/// an awaiter waits. The protocol: detail/value_task_source_state.hpp; the model:
/// models/model_value_task_source.cpp.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "tpl/detail/value_task_source_state.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/value_task.hpp"
#include "tpl/value_task_source.hpp"

namespace tpl {

template <class T = void>
class manual_reset_value_task_source final : public value_task_source<T> {
  struct no_value {};
  using stored_type = std::conditional_t<std::is_void_v<T>, no_value, T>;

 public:
  manual_reset_value_task_source() = default;
  manual_reset_value_task_source(const manual_reset_value_task_source&) = delete;
  manual_reset_value_task_source& operator=(const manual_reset_value_task_source&) = delete;

  /// The current operation's version token (.NET's Version).
  [[nodiscard]] std::uint64_t version() const { return state_.version(); }

  /// A `value_task<T>` for the current operation.
  [[nodiscard]] value_task<T> task() { return value_task<T>(*this, version()); }

  /// A result whose copy or move throws leaves the operation pending (the claim is given back:
  /// it may be completed again, or reset) and the exception propagates to the caller.
  template <class Value = stored_type>
    requires(!std::is_void_v<T>)
  void set_result(Value&& value) {
    state_.reserve_completion();
    try {
      value_.emplace(std::forward<Value>(value));
    } catch (...) {
      state_.cancel_reservation();  // the optional stayed empty: nothing to undo but the claim
      throw;
    }
    finish(outcome::value);
  }
  void set_result()
    requires std::is_void_v<T>
  {
    state_.reserve_completion();
    value_.emplace();  // no_value: cannot throw
    finish(outcome::value);
  }

  /// An operation_canceled (or task_canceled) makes the operation canceled, any other exception
  /// faulted, as .NET's GetStatus reads them. A null exception_ptr: std::invalid_argument.
  void set_exception(std::exception_ptr error) {
    if (error == nullptr) throw std::invalid_argument("tpl::manual_reset_value_task_source::set_exception: null exception_ptr");
    const outcome kind = is_cancellation(error) ? outcome::canceled : outcome::error;  // before the claim
    state_.reserve_completion();
    error_ = std::move(error);  // a move: cannot throw
    finish(kind);
  }

  /// Starts the next operation. Throws invalid_operation while the current one is awaited (its
  /// awaiter would never resume) or its result is being read.
  void reset() {
    state_.begin_reset();
    value_.reset();
    error_ = nullptr;
    state_.end_reset();
  }

  [[nodiscard]] value_task_source_status get_status(std::uint64_t token) const override {
    // The kind is part of the protocol's word (never a field reset() may be rewriting).
    switch (state_.completion(token)) {
      case outcome::none: return value_task_source_status::pending;
      case outcome::value: return value_task_source_status::succeeded;
      case outcome::canceled: return value_task_source_status::canceled;
      case outcome::error: break;
    }
    return value_task_source_status::faulted;
  }

  bool on_completed(std::uint64_t token, value_task_continuation continuation) override {
    if (continuation.invoke == nullptr) throw std::invalid_argument("tpl::manual_reset_value_task_source::on_completed: null continuation");
    return state_.try_register(token, continuation);
  }

  T get_result(std::uint64_t token) override {
    const outcome kind = state_.begin_consume(token);
    if (kind != outcome::value) {
      const std::exception_ptr error = error_;
      state_.end_consume();
      std::rethrow_exception(error);
    }
    if constexpr (std::is_void_v<T>) {
      state_.end_consume();
    } else {
      struct end_consume_on_exit {
        detail::value_task_source_state& state;
        ~end_consume_on_exit() { state.end_consume(); }
      } guard{state_};
      return std::move(*value_);
    }
  }

 private:
  using outcome = detail::value_task_source_state::outcome;

  static bool is_cancellation(const std::exception_ptr& error) {
    try {
      std::rethrow_exception(error);
    } catch (const operation_canceled&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  void finish(outcome kind) {
    const value_task_continuation continuation = state_.complete(kind);
    if (continuation.invoke != nullptr) continuation.invoke(continuation.context);
  }

  detail::value_task_source_state state_;
  std::optional<stored_type> value_;
  std::exception_ptr error_;
};

}  // namespace tpl
