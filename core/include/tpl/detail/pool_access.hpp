// How tpl's own code (fork-join, run(), task scheduling, blocking waits, the timers) reaches the
// members of thread_pool that are not public API: queueing a raw work item, reporting an
// exception nobody observes, and telling the pool that a worker is about to block. The pool
// befriends this one struct rather than exposing the members to its users.
#pragma once

#include <exception>

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::detail {

struct work_item;
class pending_io_waits;

// Defined inline at the end of thread_pool.hpp, which every caller includes.
struct pool_access {
  // thread_pool::submit()'s rules for a raw item (the item deletes or recycles itself).
  static inline void submit_item(thread_pool& pool, work_item* item);
  // An exception escaped work the pool ran; the pool's handler decides (default: terminate).
  static inline void report_unhandled(thread_pool& pool, std::exception_ptr error) noexcept;
  // A worker of `pool` is about to block (a spare may start) / runs again.
  // true: the pool is stalled (every thread that runs work is blocked; no spare could start).
  [[nodiscard]] static inline bool begin_blocking(thread_pool& pool) noexcept;
  static inline void end_blocking(thread_pool& pool) noexcept;
  // The I/O waits that will resume on `pool` (tpl::io registers each before it suspends).
  static inline pending_io_waits& io_waits(thread_pool& pool) noexcept;
  // Wakes one of the pool's idle workers, if one sleeps (to take the I/O poller role).
  static inline void wake_one_worker(thread_pool& pool);
  // A timer was queued and nobody polls the reactor: wakes one idle worker to take the role,
  // the default pool's first (the timers' callbacks run there), else any live pool's
  // (defined in core/src/thread_pool.cpp).
  static void wake_a_worker_to_poll() noexcept;
};

// What a diagnostics snapshot reads of a pool (defined in core/src/diagnostics.cpp).
struct pool_diagnostics_access;

}  // namespace tpl::detail
