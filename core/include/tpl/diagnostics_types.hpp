/// \file
/// The small enums that diagnostics snapshots (`<tpl/diagnostics.hpp>`) and tracers
/// (`<tpl/diagnostics_tracer.hpp>`) report; kept apart so that tpl's own hooks need only these.
#pragma once

#include <cstdint>

namespace tpl::diagnostics {

/// What made a task.
enum class task_origin : std::uint8_t {
  coroutine,          ///< a coroutine returning `task<T>`
  run,                ///< `tpl::run` (either overload)
  continuation,       ///< `continue_with`
  completion_source,  ///< a `task_completion_source`
};

/// Why a worker parked.
enum class park_reason : std::uint8_t {
  idle,           ///< no work anywhere it can see: asleep until work arrives
  blocking_wait,  ///< blocked in a join, `get()` or `wait()` (a spare thread may run the pool's work)
};

/// What a pool worker is doing when a snapshot looks.
enum class worker_activity : std::uint8_t {
  searching,  ///< looking for work (its own deque, the global queue, other deques)
  running,    ///< running an item; `help_depth` > 0: one run nested inside a wait
  asleep,     ///< idle, parked until work arrives
  blocked,    ///< parked in a join, `get()` or `wait()`
};

}  // namespace tpl::diagnostics
