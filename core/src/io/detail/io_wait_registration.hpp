// What every I/O wait (readiness_awaiter, completion_awaiter) does with the pool it resumes on:
// pick that pool, count the wait in the reactor (waking a worker to poll if nobody does), and
// undo both when its resumption runs (pending_io_waits.hpp, io_poller.hpp).
#pragma once

#include "tpl/detail/io_poller.hpp"
#include "tpl/detail/pending_io_waits.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::io::detail {

// The worker's pool, or the default pool from any other thread; nullptr if the default pool
// cannot start (the wait is then refused, as a shut-down pool's is).
inline thread_pool* pool_to_resume_on() noexcept {
  if (thread_pool* pool = tpl::detail::ambient_target().pool) return pool;
  try {
    return &thread_pool::default_pool();
  } catch (...) {
    return nullptr;
  }
}

// A wait entered `pool`'s pending waits: count it for the pools' idle workers; if nobody polls
// the reactor now, wake one of `pool`'s sleeping workers to take the role (a worker falling
// asleep meanwhile is covered by the sleeper's own protocol).
inline void count_registered_wait(thread_pool& pool) noexcept {
  if (tpl::detail::io_poller* poller = tpl::detail::current_io_poller(); poller != nullptr && poller->wait_registered()) {
    tpl::detail::pool_access::wake_one_worker(pool);
  }
}

// The wait's resumption runs (or it did not suspend after all): it leaves `pool` and the count.
inline void uncount_wait(tpl::detail::pending_io_wait& wait, thread_pool& pool) {
  tpl::detail::pool_access::io_waits(pool).leave(wait);
  if (tpl::detail::io_poller* poller = tpl::detail::current_io_poller()) poller->wait_left();
}

}  // namespace tpl::io::detail
