// Exceptions that say how a task ended without a result of its own: .NET's
// TaskCanceledException, and the error a task gets when the completion source that should have
// completed it is destroyed first. (operation_canceled, their base for cancellation, has its
// own header.)
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "tpl/errors.hpp"
#include "tpl/operation_canceled.hpp"

namespace tpl {

// What awaiting (or get() inside its aggregate) reports for a task that ended canceled
// (.NET's TaskCanceledException). It carries the token that canceled the task, if one did.
class task_canceled : public operation_canceled {
 public:
  explicit task_canceled(cancellation_token token = {})
      : operation_canceled("tpl::task_canceled: a task was canceled", std::move(token)) {}
};

namespace detail {

// A task_canceled carrying `token`, ready to record as a canceled task's outcome, or nullptr
// when there is no memory to build it (the task still ends canceled, and a plain task_canceled
// is made when it is needed): for paths that must not throw.
inline std::exception_ptr make_task_canceled(const cancellation_token& token) noexcept {
  try {
    return std::make_exception_ptr(task_canceled(token));
  } catch (...) {
    return nullptr;
  }
}

}  // namespace detail

// The fault of a task whose task_completion_source was destroyed without completing it (like
// std::future_errc::broken_promise). .NET would leave such a task incomplete for ever; here its
// awaiters get this error instead of hanging.
class broken_promise : public invalid_operation {
 public:
  broken_promise()
      : invalid_operation("tpl::broken_promise: the task_completion_source was destroyed without completing its task") {}
};

}  // namespace tpl
