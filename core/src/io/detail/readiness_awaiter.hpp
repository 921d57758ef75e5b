// `co_await readiness_awaiter{slot, token}`: suspends an operation that saw EAGAIN until its
// slot is claimed (readiness, cancellation, close), then tells which. The awaiter lives in the
// coroutine's frame and is the queued work item that resumes it: waiting allocates nothing
// beyond the cancellation registration (none for an uncancelable token).
#pragma once

#include <coroutine>
#include <exception>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/io_operation_slot.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/detail/work_item.hpp"

namespace tpl::io::detail {

class readiness_awaiter final : public tpl::detail::io_waiter, public tpl::detail::work_item {
 public:
  readiness_awaiter(tpl::detail::io_operation_slot& slot, const cancellation_token& token) noexcept
      : io_waiter(&readiness_awaiter::queue_resumption),
        work_item{&readiness_awaiter::resume},
        slot_(slot),
        token_(token) {}
  readiness_awaiter(const readiness_awaiter&) = delete;
  readiness_awaiter& operator=(const readiness_awaiter&) = delete;

  [[nodiscard]] bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> coroutine) noexcept {
    coroutine_ = coroutine;
    target_ = tpl::detail::ambient_target();
    switch (slot_.arm(this)) {
      case tpl::detail::arm_result::ready:
        outcome_ = tpl::detail::io_wake_reason::ready;
        return false;
      case tpl::detail::arm_result::closed:
        outcome_ = tpl::detail::io_wake_reason::closed;
        return false;
      case tpl::detail::arm_result::armed:
        break;
    }
    // Armed: a claimer may already be waking us, but it resumes nothing until we arrive at the
    // gate below, so the registration is ours to make.
    if (token_.can_be_canceled()) {
      try {
        registration_ = token_.register_callback([this] { slot_.cancel(this); });
      } catch (...) {
        // No registration (no memory, or the token's callbacks threw): take the waiter back, or
        // let whoever claimed it first go on; await_resume rethrows either way.
        registration_error_ = std::current_exception();
        slot_.cancel(this);
      }
    }
    if (finish_suspending()) {
      outcome_ = wake_reason();
      return false;
    }
    return true;
  }

  // Why the wait ended: ready (try the call again), canceled, closed.
  tpl::detail::io_wake_reason await_resume() {
    registration_ = {};  // waits for a cancellation callback still running on another thread
    if (registration_error_ != nullptr) std::rethrow_exception(registration_error_);
    return outcome_;
  }

 private:
  static void queue_resumption(io_waiter* self) {
    auto* me = static_cast<readiness_awaiter*>(self);
    me->outcome_ = me->wake_reason();
    tpl::detail::queue_to(me->target_, me);
  }
  static void resume(tpl::detail::work_item* self, bool) { static_cast<readiness_awaiter*>(self)->coroutine_.resume(); }

  tpl::detail::io_operation_slot& slot_;
  const cancellation_token& token_;
  std::coroutine_handle<> coroutine_;
  tpl::detail::scheduling_target target_{nullptr};
  cancellation_registration registration_;
  std::exception_ptr registration_error_;
  tpl::detail::io_wake_reason outcome_ = tpl::detail::io_wake_reason::ready;
};

}  // namespace tpl::io::detail
