// What `co_await task` does. Not suspended at all when the task is already complete; otherwise
// the awaiter (in the awaiting coroutine's frame) registers itself as a continuation, so
// awaiting allocates nothing. When the task completes, its completer resumes the awaiting
// coroutine: by symmetric transfer if the completer is a coroutine finishing (no stack growth),
// else by a call, or, when the completing thread's stack runs low, by queueing the resumption
// to the pool.
#pragma once

#include <coroutine>
#include <tuple>
#include <type_traits>
#include <vector>

#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/task_scheduling.hpp"

namespace tpl::detail {

// Also a work_item, for the rare resumption queued when the stack is low: its run function
// resumes the coroutine the continuation names, so the queued form costs the frame 8 bytes
// (a separate resumption_item cost 16).
// What `co_await` of a task gives: a copy of the result, or for a move-only result a const
// reference to the one value every awaiter shares (.NET hands out the same object), and when
// the task is awaited as an rvalue (`co_await std::move(t)`, a temporary) the value itself,
// moved out: the caller says, by the move, that no other handle reads the value again.
// Whether a result can really be copied: std::vector and std::tuple declare a copy constructor
// whatever their elements are (is_copy_constructible says yes for a vector of unique_ptr, and the
// copy then fails inside the standard library), so look inside them: when_all's results are
// vectors and tuples of the inputs' results.
template <class T>
struct copyable_result : std::is_copy_constructible<T> {};
template <class T, class Allocator>
struct copyable_result<std::vector<T, Allocator>> : copyable_result<T> {};
template <class... Ts>
struct copyable_result<std::tuple<Ts...>> : std::conjunction<copyable_result<Ts>...> {};
template <class T>
inline constexpr bool copyable_result_v = copyable_result<T>::value;

template <class T, bool MoveOut>
struct awaited_result {
  using type = std::conditional_t<copyable_result_v<T> || MoveOut, T, const T&>;
};
template <bool MoveOut>
struct awaited_result<void, MoveOut> {
  using type = void;
};
template <class T, bool MoveOut>
using awaited_result_t = typename awaited_result<T, MoveOut>::type;

template <class T, bool MoveOut = false>
class task_awaiter : public continuation, private work_item {
 public:
  explicit task_awaiter(task_core_of<T>& awaited) noexcept
      : continuation(&task_awaiter::resume_awaiting), work_item{&task_awaiter::resume_queued}, awaited_(&awaited) {}

  [[nodiscard]] bool await_ready() const noexcept { return awaited_->state().is_completed(); }

  // false: the task completed meanwhile, and the coroutine goes on without suspending.
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> awaiting) noexcept {
    coroutine = awaiting.address();
    if constexpr (std::is_base_of_v<task_core, Promise>) {
      diagnostics_hooks::awaits(static_cast<task_core*>(&awaiting.promise()), awaited_->state());
    } else {
      diagnostics_hooks::awaits(nullptr, awaited_->state());
    }
    // Once registered, another thread may resume (and finish, and free) the awaiting frame that
    // holds this awaiter: nothing here touches `this` after the call.
    return awaited_->state().add_continuation(this);
  }

  awaited_result_t<T, MoveOut> await_resume() const {
    awaited_->rethrow_if_unsuccessful_for_await();
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (MoveOut && !copyable_result_v<T>) {
      return awaited_->take_value();
    } else {
      return awaited_->value();
    }
  }

 private:
  static void resume_awaiting(continuation* self) {
    auto* me = static_cast<task_awaiter*>(self);
    if (has_stack_room()) {
      std::coroutine_handle<>::from_address(me->coroutine).resume();
    } else {
      queue_to_ambient_pool(static_cast<work_item*>(me));
    }
  }
  static void resume_queued(work_item* self, bool) {
    std::coroutine_handle<>::from_address(static_cast<task_awaiter*>(self)->coroutine).resume();
  }

  // Not owning: the awaited task handle outlives the co_await expression (a temporary in it
  // lives until the coroutine resumes).
  task_core_of<T>* awaited_;
};

}  // namespace tpl::detail
