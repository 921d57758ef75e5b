// The outcome a task records when it ends canceled, built on paths that must not throw.
#pragma once

#include <exception>

#include "tpl/cancellation_token.hpp"
#include "tpl/exceptions.hpp"

namespace tpl::detail {

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

}  // namespace tpl::detail
