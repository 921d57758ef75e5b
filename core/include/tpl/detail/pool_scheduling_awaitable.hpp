// What `co_await pool.schedule()` and `co_await tpl::resume_on(pool)` suspend on: the rest of
// the coroutine is queued on the pool as a work item that lives in the suspended frame, so
// switching pools allocates nothing. If the pool no longer accepts work (shutting down, from
// outside it) or the item cannot be queued for want of memory, await_suspend throws and the
// coroutine goes on at the co_await with that exception (tpl::invalid_operation or
// std::bad_alloc), still on the thread it was on: the switch did not happen and nothing is lost.
#pragma once

#include <coroutine>

#include "tpl/detail/work_item.hpp"

namespace tpl {
class thread_pool;
}  // namespace tpl

namespace tpl::detail {

class pool_scheduling_awaitable : private work_item {
 public:
  // `inline_if_on_pool`: resume_on's rule, no suspension when the caller already runs on one of
  // the pool's workers; schedule() always queues.
  pool_scheduling_awaitable(thread_pool& pool, bool inline_if_on_pool) noexcept
      : work_item{&pool_scheduling_awaitable::resume}, pool_(&pool), inline_if_on_pool_(inline_if_on_pool) {}

  [[nodiscard]] bool await_ready() const noexcept;
  void await_suspend(std::coroutine_handle<> coroutine);
  void await_resume() const noexcept {}

  // The coroutine `item` resumes if it is one of these awaitables, else nullptr (diagnostics).
  [[nodiscard]] static const void* coroutine_of(const work_item* item) noexcept {
    return item->run == &pool_scheduling_awaitable::resume ? static_cast<const pool_scheduling_awaitable*>(item)->coroutine_
                                                            : nullptr;
  }

 private:
  static void resume(work_item* self, bool) {
    std::coroutine_handle<>::from_address(static_cast<pool_scheduling_awaitable*>(self)->coroutine_).resume();
  }

  thread_pool* pool_;
  void* coroutine_ = nullptr;
  bool inline_if_on_pool_;
};

}  // namespace tpl::detail
