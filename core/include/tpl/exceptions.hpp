/// \file
/// Every exception tpl throws, in one header. Misuse gets an invalid_operation (or a standard
/// exception: std::invalid_argument for a null callable or a negative timeout) with a message that
/// names the operation, never undefined behaviour or a hang; cancellation is an
/// operation_canceled (task_canceled for a task); blocking waits report a task's errors in an
/// aggregate_exception. (`invalid_operation`, `aggregate_exception` and `broken_promise` are
/// defined in detail/basic_exceptions.hpp, which this header includes, so that the pool and the
/// deque can include them without the cancellation machinery.)
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/basic_exceptions.hpp"  // IWYU pragma: export (invalid_operation, aggregate_exception, broken_promise)

namespace tpl {

/// tpl::operation_canceled — .NET's OperationCanceledException: an operation stopped because
/// cancellation was requested. It carries the token whose cancellation it reports
/// (cancellation_token::none() when thrown without one).
///
/// A coroutine task whose body throws it ends canceled, not faulted (as a .NET async method);
/// a run(fn, token) task whose fn throws it for `token`, while `token` is canceled, ends canceled.
class operation_canceled : public std::runtime_error {
 public:
  explicit operation_canceled(cancellation_token token = {})
      : operation_canceled("tpl::operation_canceled: the operation was canceled", std::move(token)) {}
  explicit operation_canceled(const std::string& what, cancellation_token token = {})
      : std::runtime_error(what), token_(std::move(token)) {}

  [[nodiscard]] const cancellation_token& token() const noexcept { return token_; }

 private:
  cancellation_token token_;
};

inline void cancellation_token::throw_if_cancellation_requested() const {
  if (is_cancellation_requested()) throw operation_canceled(*this);
}

/// What awaiting (or get() inside its aggregate) reports for a task that ended canceled
/// (.NET's TaskCanceledException). It carries the token that canceled the task, if one did.
class task_canceled : public operation_canceled {
 public:
  explicit task_canceled(cancellation_token token = {})
      : operation_canceled("tpl::task_canceled: a task was canceled", std::move(token)) {}
};

}  // namespace tpl
