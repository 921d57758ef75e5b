/// \file
/// tpl::task_status — .NET's TaskStatus.
#pragma once

#include <cstdint>

namespace tpl {

enum class task_status : std::uint8_t {
  created,                 ///< constructed, not yet scheduled
  waiting_for_activation,  ///< waiting to be completed by something else (a completion source, a coroutine)
  waiting_to_run,          ///< scheduled on a pool, not yet running
  running,                 ///< running its body
  ran_to_completion,       ///< completed with a result
  faulted,                 ///< completed with an exception
  canceled,                ///< completed as canceled
};

constexpr bool is_final(task_status status) noexcept { return status >= task_status::ran_to_completion; }

}  // namespace tpl
