/// \file
/// tpl::diagnostics::tracer — an observer of tasks and pool workers, for tracing tools
/// (examples/chrome_trace.cpp writes Chrome trace-event JSON with one).
///
/// Every method is called on the thread where the event happens, possibly on many threads at
/// once, and must not throw or block on tpl (no `get()`, no pool submission). Default
/// implementations do nothing. set_tracer() returns only when no call into the tracer it
/// replaced is in flight, so that tracer may be destroyed right after.
#pragma once

#include <cstddef>
#include <source_location>

#include "tpl/diagnostics.hpp"
#include "tpl/diagnostics_types.hpp"
#include "tpl/task_status.hpp"
#include "tpl/work_source.hpp"

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::diagnostics {

class tracer {
 public:
  virtual ~tracer() = default;

  /// A task was made (coroutine, run, continue_with or completion source).
  virtual void task_created(task_id, task_origin, const std::source_location&) noexcept {}
  /// A run or continuation task's body starts (coroutines start when they are created).
  virtual void task_started(task_id) noexcept {}
  /// A task's final status is published (any task kind, recorded or not).
  virtual void task_completed(task_id, task_status) noexcept {}
  /// A completed task's awaiters and continuations are about to run.
  virtual void task_continued(task_id) noexcept {}
  /// A registration on the incomplete task was taken back (a timed or canceled wait, a
  /// `when_any` loser); finding it passed `newer_passed` newer registrations on that task.
  virtual void continuation_withdrawn(task_id, std::size_t /*newer_passed*/) noexcept {}
  /// A worker took an item (from `source`) and runs it now; `stolen`: a steal.
  virtual void item_started(const thread_pool&, std::size_t /*worker*/, work_source /*source*/) noexcept {}
  /// The item finished.
  virtual void item_finished(const thread_pool&, std::size_t /*worker*/) noexcept {}
  /// A worker parks (goes idle, or blocks in a wait).
  virtual void worker_parked(const thread_pool&, std::size_t /*worker*/, park_reason) noexcept {}
  /// It runs again.
  virtual void worker_unparked(const thread_pool&, std::size_t /*worker*/) noexcept {}
};

/// Installs `observer` (nullptr: none), then waits until no call into the previous tracer is in
/// flight. Throws invalid_operation when called from a tracer method (it would wait for itself),
/// and when the library was built with `TPL_DIAGNOSTICS=OFF`, unless `observer` is null.
void set_tracer(tracer* observer);

}  // namespace tpl::diagnostics
