// The points where tpl tells its diagnostics (tpl/diagnostics.hpp, tpl/diagnostics_tracer.hpp)
// what happens: a task made, started, completed, awaited; a worker running, parked, stealing.
//
// Each hook is an inline check of one relaxed flag word (`mode`), which is 0 unless a program
// turned tracking on or installed a tracer; only then does it call into
// core/src/diagnostics.cpp. Built with -DTPL_DIAGNOSTICS=0 (CMake option TPL_DIAGNOSTICS=OFF),
// and in the Relacy models, every hook is an empty inline function: the models check the
// protocols without it, and docs/diagnostics.md measures what the check costs when it is in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <source_location>

#include "tpl/diagnostics_types.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/task_status.hpp"
#include "tpl/work_source.hpp"

#if !defined(TPL_DIAGNOSTICS)
#define TPL_DIAGNOSTICS 1
#endif
#if TPL_DIAGNOSTICS && !defined(TPL_MODEL_RELACY)
#define TPL_DIAGNOSTICS_HOOKS 1
#else
#define TPL_DIAGNOSTICS_HOOKS 0
#endif

namespace tpl {
class thread_pool;
}  // namespace tpl

/// \cond TPL_INTERNALS

namespace tpl::detail {

class task_core;
class task_state;
class pool_worker;
class cancellation_state;

namespace diagnostics_hooks {

inline constexpr unsigned tracking_bit = 1;  // snapshots: live tasks and their edges are recorded
inline constexpr unsigned tracing_bit = 2;   // a tracer is installed

#if TPL_DIAGNOSTICS_HOOKS
// Written by tpl::diagnostics::enable()/disable()/set_tracer() (under their mutex), read by every
// hook. relaxed: a switch, not a publication; a hook that sees a stale value records or misses
// one event around the moment of switching, and what a recorded event touches is guarded by the
// registry's own mutex (core/src/diagnostics.cpp).
// Through the sync facade like every atomic in tpl, though no model sees it: the hooks compile
// to nothing under Relacy (TPL_DIAGNOSTICS_HOOKS is 0 there).
inline sync::atomic<unsigned> mode{0};
[[nodiscard]] inline unsigned current_mode() noexcept {
  // relaxed: a switch (see `mode`); pairs with no store: what the hook then touches is guarded
  // by the registry mutex or by the tracer pointer's seq_cst load (core/src/diagnostics.cpp).
  return mode.load(std::memory_order_relaxed);
}

// The slow halves, in core/src/diagnostics.cpp.
// `frame`: a coroutine task's frame (its queued resumptions name it), else nullptr.
void record_created(task_core& core, diagnostics::task_origin origin, const std::source_location& where,
                    const void* frame) noexcept;
void record_destroyed(task_core& core) noexcept;
void record_started(const task_state& state) noexcept;
void record_completed(const task_state& state, task_status status) noexcept;
void record_continuation_registering(const task_state& state) noexcept;
void record_continuation_withdrawn(const task_state& state, std::size_t newer_passed) noexcept;
void record_awaits(task_core* awaiting, const task_state& awaited) noexcept;
void record_waits_for(task_core& dependent, const task_state& antecedent) noexcept;
void record_item_started(const thread_pool& pool, std::size_t worker, work_source source) noexcept;
void record_item_finished(const thread_pool& pool, std::size_t worker) noexcept;
void record_parked(const thread_pool& pool, std::size_t worker, diagnostics::park_reason reason) noexcept;
void record_unparked(const thread_pool& pool, std::size_t worker) noexcept;
void record_pool_created(thread_pool& pool) noexcept;
void record_pool_destroyed(thread_pool& pool) noexcept;
bool record_cancellation_source_created(const cancellation_state& state) noexcept;
void record_cancellation_source_destroyed(const cancellation_state& state) noexcept;
// A worker of a pool in which every thread that runs work is blocked (no spare could start)
// is about to park in a wait for `awaited` (nullptr: a fork-join join). Its stack may be nearly
// used up: the report is built and delivered on a thread of its own.
void report_stalled_wait(pool_worker& worker, task_core* awaited) noexcept;

inline void task_created(task_core& core, diagnostics::task_origin origin, const std::source_location& where,
                         const void* frame = nullptr) noexcept {
  if (current_mode() != 0) record_created(core, origin, where, frame);
}
inline void task_started(const task_state& state) noexcept {
  if ((current_mode() & tracing_bit) != 0) record_started(state);
}
inline void task_completed(const task_state& state, task_status status) noexcept {
  if ((current_mode() & tracing_bit) != 0) record_completed(state, status);
}
// Before a registration on `state` that is not a coroutine's await nor a continue_with (those
// two say awaits() / waits_for()): a blocking wait, a combinator, an unwrapping run.
inline void continuation_registering(const task_state& state) noexcept {
  if ((current_mode() & tracking_bit) != 0) record_continuation_registering(state);
}
// After remove_continuation() took a registration back (a wait that gave up), having passed
// `newer_passed` newer registrations to find it.
inline void continuation_withdrawn(const task_state& state, std::size_t newer_passed) noexcept {
  if (current_mode() != 0) record_continuation_withdrawn(state, newer_passed);
}
// A coroutine (`awaiting`: its task, nullptr if it is not a task coroutine) is about to register
// on `awaited`: one check for the await graph's edge and the awaiter count.
inline void awaits(task_core* awaiting, const task_state& awaited) noexcept {
  if ((current_mode() & tracking_bit) != 0) record_awaits(awaiting, awaited);
}
inline void waits_for(task_core& dependent, const task_state& antecedent) noexcept {
  if ((current_mode() & tracking_bit) != 0) record_waits_for(dependent, antecedent);
}
// Whether a tracer is installed: a worker reads it once per item, so that the item's start and
// finish are both reported or neither (to the tracer installed at each moment).
[[nodiscard]] inline bool tracing() noexcept { return (current_mode() & tracing_bit) != 0; }
inline void item_started(bool tracing, const thread_pool& pool, std::size_t worker, work_source source) noexcept {
  if (tracing) record_item_started(pool, worker, source);
}
inline void item_finished(bool tracing, const thread_pool& pool, std::size_t worker) noexcept {
  if (tracing) record_item_finished(pool, worker);
}
// true: the park was reported, and so must the unpark be (whatever the tracer is by then), so
// that a tracer never sees an unpark without its park.
[[nodiscard]] inline bool parked(const thread_pool& pool, std::size_t worker, diagnostics::park_reason reason) noexcept {
  if ((current_mode() & tracing_bit) == 0) return false;
  record_parked(pool, worker, reason);
  return true;
}
inline void unparked(bool park_was_reported, const thread_pool& pool, std::size_t worker) noexcept {
  if (park_was_reported) record_unparked(pool, worker);
}
inline void pool_created(thread_pool& pool) noexcept { record_pool_created(pool); }
inline void pool_destroyed(thread_pool& pool) noexcept { record_pool_destroyed(pool); }
// true: the source was recorded, and its destructor must call cancellation_source_destroyed.
[[nodiscard]] inline bool cancellation_source_created(const cancellation_state& state) noexcept {
  return (current_mode() & tracking_bit) != 0 && record_cancellation_source_created(state);
}
inline void cancellation_source_destroyed(const cancellation_state& state) noexcept {
  record_cancellation_source_destroyed(state);
}
inline void stalled_wait(pool_worker& worker, task_core* awaited) noexcept {
  report_stalled_wait(worker, awaited);
}
#else
inline void task_created(task_core&, diagnostics::task_origin, const std::source_location&, const void* = nullptr) noexcept {}
inline void task_started(const task_state&) noexcept {}
inline void task_completed(const task_state&, task_status) noexcept {}
inline void continuation_registering(const task_state&) noexcept {}
inline void continuation_withdrawn(const task_state&, std::size_t) noexcept {}
inline void awaits(task_core*, const task_state&) noexcept {}
inline void waits_for(task_core&, const task_state&) noexcept {}
[[nodiscard]] inline bool tracing() noexcept { return false; }
inline void item_started(bool, const thread_pool&, std::size_t, work_source) noexcept {}
inline void item_finished(bool, const thread_pool&, std::size_t) noexcept {}
[[nodiscard]] inline bool parked(const thread_pool&, std::size_t, diagnostics::park_reason) noexcept { return false; }
inline void unparked(bool, const thread_pool&, std::size_t) noexcept {}
inline void pool_created(thread_pool&) noexcept {}
inline void pool_destroyed(thread_pool&) noexcept {}
[[nodiscard]] inline bool cancellation_source_created(const cancellation_state&) noexcept { return false; }
inline void cancellation_source_destroyed(const cancellation_state&) noexcept {}
inline void stalled_wait(pool_worker&, task_core*) noexcept {}
#endif

}  // namespace diagnostics_hooks
}  // namespace tpl::detail
/// \endcond
