// What `co_await task` does. Not suspended at all when the task is already complete; otherwise
// the awaiter (in the awaiting coroutine's frame) registers itself as a continuation, so
// awaiting allocates nothing. When the task completes, its completer resumes the awaiting
// coroutine: by symmetric transfer if the completer is a coroutine finishing (no stack growth),
// else by a call, or, when the completing thread's stack runs low, by queueing the resumption
// to the pool.
#pragma once

#include <coroutine>
#include <type_traits>

#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/task_scheduling.hpp"

namespace tpl::detail {

template <class T>
class task_awaiter : public continuation {
 public:
  explicit task_awaiter(task_core_of<T>& awaited) noexcept
      : continuation(&task_awaiter::resume_awaiting), awaited_(&awaited) {}

  [[nodiscard]] bool await_ready() const noexcept { return awaited_->state().is_completed(); }

  // false: the task completed meanwhile, and the coroutine goes on without suspending.
  bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
    coroutine = awaiting.address();
    // Once registered, another thread may resume (and finish, and free) the awaiting frame that
    // holds this awaiter: nothing here touches `this` after the call.
    return awaited_->state().add_continuation(this);
  }

  T await_resume() const {
    awaited_->rethrow_if_unsuccessful_for_await();
    if constexpr (!std::is_void_v<T>) return awaited_->value();
  }

 private:
  static void resume_awaiting(continuation* self) {
    auto* me = static_cast<task_awaiter*>(self);
    if (has_stack_room()) {
      std::coroutine_handle<>::from_address(me->coroutine).resume();
    } else {
      me->queued_.handle = std::coroutine_handle<>::from_address(me->coroutine);
      queue_to_ambient_pool(&me->queued_);
    }
  }

  // Not owning: the awaited task handle outlives the co_await expression (a temporary in it
  // lives until the coroutine resumes).
  task_core_of<T>* awaited_;
  resumption_item queued_;  // used only when the stack is too low to resume inline
};

}  // namespace tpl::detail
