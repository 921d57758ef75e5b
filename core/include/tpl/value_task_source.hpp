/// \file
/// `tpl::value_task_source<T>` — .NET's `IValueTaskSource<TResult>`: what a `value_task<T>` that did not
/// complete synchronously waits on, without a `task<T>` allocation per operation. An implementation
/// is usually reused: each operation gets a version token, and every call names the token of the
/// operation it is about (`manual_reset_value_task_source<T>` is the ready-made one).
#pragma once

#include <cstdint>

#include "tpl/value_task_continuation.hpp"

namespace tpl {

/// .NET's ValueTaskSourceStatus.
enum class value_task_source_status { pending, succeeded, faulted, canceled };

template <class T>
class value_task_source {
 public:
  /// The state of the operation `token` names. A stale token throws invalid_operation.
  [[nodiscard]] virtual value_task_source_status get_status(std::uint64_t token) const = 0;

  /// Leaves `continuation` to run (on the completing thread) when the operation completes and
  /// returns true; returns false without keeping it if the operation already completed (the
  /// caller goes on itself). One awaiter per operation: a second throws invalid_operation.
  virtual bool on_completed(std::uint64_t token, value_task_continuation continuation) = 0;

  /// The operation's result (or its exception, rethrown). Once per operation: a second call
  /// throws invalid_operation, as does a call before completion.
  virtual T get_result(std::uint64_t token) = 0;

 protected:
  value_task_source() = default;
  value_task_source(const value_task_source&) = default;
  value_task_source& operator=(const value_task_source&) = default;
  ~value_task_source() = default;  // not deleted through this interface
};

}  // namespace tpl
