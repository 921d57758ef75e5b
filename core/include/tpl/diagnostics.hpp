/// \file
/// tpl::diagnostics — what a running program's tasks, pools and cancellation sources are doing,
/// in-process: a snapshot of the live tasks (status, creation site, who waits on them, what each
/// suspended coroutine awaits), of every pool's workers and queues, and of every cancellation
/// source's registrations, printable as JSON.
///
/// ~~~text
///   diagnostics::enable();          // start recording (off by default)
///   ...
///   std::puts(diagnostics::snapshot().to_json().c_str());
/// ~~~
///
/// Off by default, and then a hook costs one relaxed load and a branch (docs/diagnostics.md has
/// the measured ratios); building with the CMake option `TPL_DIAGNOSTICS=OFF` removes even that
/// (enable() then throws invalid_operation). Only what is made while recording is on is in a
/// snapshot: tasks made before enable() are not listed. Pools are always listed.
///
/// Tasks recorded: coroutines returning `task<T>`, `run`, `continue_with` and
/// `task_completion_source` tasks, each with the `std::source_location` of the coroutine, or
/// of the `run`/`continue_with` call or completion source's construction. `when_all`,
/// `when_any`, `delay` and value tasks are not recorded (docs/diagnostics.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "tpl/diagnostics_types.hpp"
#include "tpl/task_status.hpp"

namespace tpl::diagnostics {

/// A task's identity while it lives: the address of its shared state. A later task may reuse it.
using task_id = std::uintptr_t;

/// One live task.
struct task_info {
  task_id id = 0;
  std::uint64_t sequence = 0;  ///< creation order among recorded tasks (1 = first)
  task_origin origin = task_origin::coroutine;
  task_status status = task_status::created;
  std::source_location created_at;  ///< the coroutine, or the call that made the task
  std::size_t awaiters = 0;          ///< suspended coroutines awaiting it
  std::size_t continuations = 0;     ///< other continuations registered on it (continue_with, waits, combinators)
  /// What this task waits for, while that is incomplete: the task a suspended coroutine awaits,
  /// or a continuation's antecedent. Follow these ids through the snapshot for the await graph.
  std::optional<task_id> waiting_for;
};

/// One worker (or spare thread) of a pool.
struct worker_info {
  std::size_t index = 0;
  worker_activity activity = worker_activity::searching;
  int help_depth = 0;            ///< nesting of runs inside waits (0: none)
  std::int64_t queue_length = 0;  ///< items in its deque (a racy count)
};

/// One pool.
struct pool_info {
  const void* pool = nullptr;  ///< the thread_pool's address
  std::size_t worker_count = 0;
  std::int64_t global_queue_length = 0;  ///< items in its injection queue (a racy count)
  std::vector<worker_info> workers;      ///< core workers, then spares that ever started
};

/// One live cancellation source (its shared state).
struct cancellation_source_info {
  const void* source = nullptr;  ///< the shared state's address
  bool cancellation_requested = false;
  std::size_t registrations = 0;  ///< callbacks registered and not yet run or removed
};

/// Everything at one moment (each part read without stopping the program: counts may be a
/// moment apart).
struct program_snapshot {
  bool recording = false;  ///< whether recording was on (off: only what was recorded before disable() and still lives)
  std::vector<task_info> tasks;  ///< in creation order
  std::vector<pool_info> pools;
  std::vector<cancellation_source_info> cancellation_sources;

  /// The same as one JSON object: {"recording", "tasks": [...], "pools": [...],
  /// "cancellation_sources": [...]}, statuses and activities as their names.
  [[nodiscard]] std::string to_json() const;
  /// The live task with this id, if it is in the snapshot.
  [[nodiscard]] const task_info* find(task_id id) const;
};

/// Starts recording tasks and cancellation sources (idempotent). Throws invalid_operation when
/// the library was built with `TPL_DIAGNOSTICS=OFF`.
void enable();
/// Stops recording new ones; those recorded stay listed until they are destroyed.
void disable() noexcept;
/// Whether recording is on.
[[nodiscard]] bool is_enabled() noexcept;

/// A snapshot of the program now.
[[nodiscard]] program_snapshot snapshot();

/// The name of a status, activity or origin, as JSON and reports print it.
[[nodiscard]] const char* to_string(task_status status) noexcept;
/// \copydoc to_string(task_status)
[[nodiscard]] const char* to_string(worker_activity activity) noexcept;
/// \copydoc to_string(task_status)
[[nodiscard]] const char* to_string(task_origin origin) noexcept;

}  // namespace tpl::diagnostics
