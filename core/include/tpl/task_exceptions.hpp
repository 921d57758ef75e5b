// Exceptions that say how a task ended without a result of its own: .NET's
// OperationCanceledException and TaskCanceledException, and the error a task gets when the
// completion source that should have completed it is destroyed first.
#pragma once

#include <stdexcept>
#include <string>

#include "tpl/errors.hpp"

namespace tpl {

// An operation stopped because cancellation was requested (.NET's OperationCanceledException).
// A coroutine task whose body throws it (or anything derived from it) ends canceled, not
// faulted, as an async method does in .NET.
class operation_canceled : public std::runtime_error {
 public:
  operation_canceled() : std::runtime_error("tpl::operation_canceled: the operation was canceled") {}
  explicit operation_canceled(const std::string& what) : std::runtime_error(what) {}
};

// What awaiting (or get() inside its aggregate) reports for a task that ended canceled
// (.NET's TaskCanceledException).
class task_canceled : public operation_canceled {
 public:
  task_canceled() : operation_canceled("tpl::task_canceled: a task was canceled") {}
};

// The fault of a task whose task_completion_source was destroyed without completing it (like
// std::future_errc::broken_promise). .NET would leave such a task incomplete for ever; here its
// awaiters get this error instead of hanging.
class broken_promise : public invalid_operation {
 public:
  broken_promise()
      : invalid_operation("tpl::broken_promise: the task_completion_source was destroyed without completing its task") {}
};

}  // namespace tpl
