/// \file
/// tpl::yield() — .NET's Task.Yield(): `co_await tpl::yield()` suspends the coroutine and queues
/// the rest of it on the ambient pool (the caller's own deque on a pool worker, where it is the
/// newest item and a thief's oldest), so the caller goes on at once. A coroutine that starts
/// with it is a fork: its caller continues while the body waits for a worker.
#pragma once

#include <coroutine>

#include "tpl/detail/task_scheduling.hpp"

namespace tpl {

class yield_awaitable {
 public:
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> coroutine) {
    queued_.handle = coroutine;
    detail::queue_to_ambient_pool(&queued_);
  }
  void await_resume() const noexcept {}

 private:
  detail::resumption_item queued_;  ///< in the suspended frame: yielding allocates nothing
};

[[nodiscard]] inline yield_awaitable yield() noexcept { return {}; }

}  // namespace tpl
