// The compiled half of detail/task_scheduling.hpp (see there for the rules).
#include "tpl/detail/task_scheduling.hpp"

#include <new>

#include "tpl/detail/basic_exceptions.hpp"
#include "tpl/detail/pool_scheduling_awaitable.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::detail {

namespace {

// Throws std::system_error if the default pool must be created and cannot start its threads.
thread_pool& ambient_pool() {
  if (pool_worker* worker = current_worker()) return worker->pool();
  return thread_pool::default_pool();
}

// Queues `item` on `pool`, or runs it here when the pool refuses it (shutting down, no memory):
// see queue_to_ambient_pool in the header.
void queue_to_pool(thread_pool& pool, work_item* item) {
  try {
    pool_access::submit_item(pool, item);
  } catch (const invalid_operation&) {
    item->run(item, false);
  } catch (const std::bad_alloc&) {
    item->run(item, false);
  }
}

}  // namespace

const void* resumed_coroutine(const work_item* item) noexcept {
  if (item->run == &resumption_item::resume) return static_cast<const resumption_item*>(item)->handle.address();
  return pool_scheduling_awaitable::coroutine_of(item);
}

void queue_to_ambient_pool(work_item* item) { queue_to_pool(ambient_pool(), item); }

scheduling_target ambient_target() noexcept {
  if (pool_worker* worker = current_worker()) return {&worker->pool()};
  return {nullptr};
}

void queue_to(scheduling_target target, work_item* item) {
  thread_pool* pool = target.pool;
  if (pool == nullptr) {
    try {
      pool = &thread_pool::default_pool();
    } catch (...) {
      item->run(item, false);  // the default pool cannot start (no threads, no memory): run here
      return;
    }
  }
  queue_to_pool(*pool, item);
}

}  // namespace tpl::detail
