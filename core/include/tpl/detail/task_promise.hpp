// The promise of a coroutine that returns tpl::task<T>. The task's shared state *is* the
// promise, so a coroutine task costs one allocation: its frame.
//
// Start: eager, as a .NET async method: the body runs on the caller's thread until its first
// co_await of something incomplete. Only when the caller's stack runs low does the start go to
// the pool instead (a million nested coroutine calls then cannot overflow the stack).
//
// End: the final step publishes the outcome, runs the continuations, and resumes the newest
// awaiter by symmetric transfer. The frame holds two references from the start, the caller's
// handle and the coroutine's own; the final step drops the coroutine's, and whichever reference
// goes last destroys the frame.
//
// An exception escaping the body faults the task, except operation_canceled (and
// task_canceled), which ends it canceled, as in .NET.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <source_location>
#include <utility>

#include "tpl/detail/frame_allocator.hpp"
#include "tpl/detail/make_task_canceled.hpp"
#include "tpl/detail/stack_guard.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/exceptions.hpp"

namespace tpl {
template <class T>
class task;
}  // namespace tpl

namespace tpl::detail {

struct adopt_reference_t {
  explicit adopt_reference_t() = default;
};
inline constexpr adopt_reference_t adopt_reference{};

// initial_suspend(): run now, unless the stack is low.
class eager_start {
 public:
  [[nodiscard]] bool await_ready() const noexcept { return has_stack_room(); }
  void await_suspend(std::coroutine_handle<> coroutine) {
    queued_.handle = coroutine;
    queue_to_ambient_pool(&queued_);
  }
  void await_resume() const noexcept {}

 private:
  resumption_item queued_;  // lives in the frame while the start waits in the pool
};

// final_suspend(): publish, run continuations, transfer to the newest awaiter, drop the
// coroutine's reference.
template <class Promise>
struct final_step {
  [[nodiscard]] bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> coroutine) noexcept {
    Promise& promise = coroutine.promise();
    task_state& state = promise.state();
    // No reservation: the coroutine is its task's only completer.
    state.publish(promise.outcome_status());
    std::coroutine_handle<> next = std::noop_coroutine();
    if (continuation* newest = state.run_continuations_but_newest()) {
      if (newest->coroutine != nullptr && has_stack_room()) {
        next = std::coroutine_handle<>::from_address(newest->coroutine);
      } else {
        newest->invoke(newest);
      }
    }
    promise.release();  // may destroy this frame (and this awaiter): only `next` is used after
    return next;
  }
  void await_resume() const noexcept {}
};

template <class T, class Promise>
class task_promise_base : public task_core_of<T> {
 public:
  task_promise_base() : task_core_of<T>(task_status::waiting_for_activation, 2, &destroy_frame) {}

  // Called by the most derived promise's constructor, where `*this` is a whole Promise: the
  // frame's address is known there (the deadlock report matches queued resumptions with it).
  void announce(std::source_location where) noexcept {  // by value: one pointer, in a register
    diagnostics_hooks::task_created(*this, diagnostics::task_origin::coroutine, where,
                                    std::coroutine_handle<Promise>::from_promise(static_cast<Promise&>(*this)).address());
  }

  // Frames come from the calling thread's cache of free frames (frame_allocator.hpp).
  static void* operator new(std::size_t size) { return frame_allocator::allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { frame_allocator::deallocate(frame, size); }

  tpl::task<T> get_return_object() noexcept { return tpl::task<T>(adopt_reference, this); }
  eager_start initial_suspend() const noexcept { return {}; }
  final_step<Promise> final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept {
    try {
      throw;
    } catch (const task_canceled&) {
      this->set_canceled_outcome(std::current_exception());
    } catch (const operation_canceled& canceled) {
      // Awaiters of a canceled task get task_canceled (with the same token), as in .NET.
      this->set_canceled_outcome(make_task_canceled(canceled.token()));  // cannot throw
    } catch (...) {
      this->add_error(std::current_exception());
    }
  }

 private:
  static void destroy_frame(task_core* core) noexcept {
    auto& promise = static_cast<Promise&>(*core);
    std::coroutine_handle<Promise>::from_promise(promise).destroy();
  }
};

template <class T>
class task_promise final : public task_promise_base<T, task_promise<T>> {
 public:
  // The default argument is evaluated where the coroutine's frame is made: diagnostics record
  // the coroutine's own location (its line and signature).
  task_promise(std::source_location where = std::source_location::current()) {  // NOLINT(google-explicit-constructor)
    this->announce(where);
  }
  template <class Value = T>
  void return_value(Value&& value) {
    this->set_value(std::forward<Value>(value));
  }
};

template <>
class task_promise<void> final : public task_promise_base<void, task_promise<void>> {
 public:
  task_promise(std::source_location where = std::source_location::current()) {  // NOLINT(google-explicit-constructor)
    this->announce(where);
  }
  void return_void() noexcept {}
};

}  // namespace tpl::detail
