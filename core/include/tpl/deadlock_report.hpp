/// \file
/// tpl::diagnostics::deadlock_report — what tpl says, instead of hanging silently, when a pool
/// worker blocks in `get()`/`wait()` on a task that cannot make progress without it.
///
/// The report fires when a worker is about to park in a blocking wait and (1) every thread of
/// its pool that runs work is blocked in such a wait and no spare thread could start (the bound
/// is reached, or the pool was made with `allow_spare_threads = false`), and (2) the awaited
/// task, or a task it waits for (through the await graph that diagnostics record), is queued in
/// this worker's own deque (pushed before the wait, which runs only work pushed after it): only
/// this worker could run it, after the wait. The
/// handler runs on the blocked worker before it parks; the wait then goes on (a cancelable or
/// timed wait can still end). A *probable* deadlock: with more than one thread, another
/// blocked thread's wait may still end from outside the pool (a completion source set by a
/// thread of its own) and run the queued task, and a token may cancel the queued task. Without
/// recording (diagnostics::enable()) the awaited task's edges are unknown: only the task itself
/// (and edges recorded earlier) are checked, and the report has no creation sites.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "tpl/diagnostics.hpp"

namespace tpl::diagnostics {

struct deadlock_report {
  const void* pool = nullptr;   ///< the thread_pool's address
  std::size_t worker = 0;       ///< the blocked worker's index
  std::optional<task_info> awaited;  ///< the task the worker waits for (if recorded)
  std::optional<task_info> stuck;    ///< the queued task only this worker could run (if recorded)
  std::string message;  ///< one paragraph naming both tasks and their creation sites
};

using deadlock_handler = std::function<void(const deadlock_report&)>;

/// Replaces the handler (empty: the default, which prints the message on stderr). The handler
/// must not throw (an exception it throws is dropped) and must not block on the pool.
void set_deadlock_handler(deadlock_handler handler);

}  // namespace tpl::diagnostics
