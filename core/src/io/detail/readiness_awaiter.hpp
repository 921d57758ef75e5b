// `co_await readiness_awaiter{slot, token}`: suspends an operation that saw EAGAIN until its
// slot is claimed (readiness, cancellation, close, the shutdown of its pool), then tells which.
// The awaiter lives in the coroutine's frame and is the queued work item that resumes it:
// waiting allocates nothing beyond the cancellation registration (none for an uncancelable
// token).
//
// It resumes on the pool it was awaited from (a worker's pool; the default pool from any other
// thread), and is registered with that pool while it waits (pending_io_waits.hpp): the pool's
// shutdown ends it first, so its resumption never finds the pool closed or destroyed.
#pragma once

#include <coroutine>
#include <exception>

#include "detail/io_wait_registration.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/detail/io_operation_slot.hpp"
#include "tpl/detail/io_poller.hpp"
#include "tpl/detail/pending_io_waits.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::io::detail {

class readiness_awaiter final : public tpl::detail::io_waiter,
                                public tpl::detail::work_item,
                                public tpl::detail::pending_io_wait {
 public:
  readiness_awaiter(tpl::detail::io_operation_slot& slot, const cancellation_token& token) noexcept
      : io_waiter(&readiness_awaiter::queue_resumption),
        work_item{&readiness_awaiter::resume},
        pending_io_wait(&readiness_awaiter::cancel_for_shutdown),
        slot_(slot),
        token_(token) {}
  readiness_awaiter(const readiness_awaiter&) = delete;
  readiness_awaiter& operator=(const readiness_awaiter&) = delete;

  [[nodiscard]] bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> coroutine) noexcept {
    coroutine_ = coroutine;
    pool_ = pool_to_resume_on();
    // Armed and registered with the pool it will resume on in one step (pending_io_waits.hpp),
    // or refused: the pool is shutting down, and the operation ends canceled without waiting.
    tpl::detail::arm_result armed = tpl::detail::arm_result::closed;
    const bool pool_open = pool_ != nullptr && tpl::detail::pool_access::io_waits(*pool_).enter(*this, [&] {
      armed = slot_.arm(this);
      return armed == tpl::detail::arm_result::armed;
    });
    if (!pool_open) {
      outcome_ = tpl::detail::io_wake_reason::pool_shut_down;
      return false;
    }
    switch (armed) {
      case tpl::detail::arm_result::ready:
        outcome_ = tpl::detail::io_wake_reason::ready;
        return false;
      case tpl::detail::arm_result::closed:
        outcome_ = tpl::detail::io_wake_reason::closed;
        return false;
      case tpl::detail::arm_result::armed:
        registered_ = true;
        break;
    }
    count_registered_wait(*pool_);
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
      leave_pool();
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
    tpl::detail::queue_to({me->pool_}, me);
  }
  static void resume(tpl::detail::work_item* self, bool) {
    auto* me = static_cast<readiness_awaiter*>(self);
    me->leave_pool();
    me->coroutine_.resume();
  }
  static void cancel_for_shutdown(tpl::detail::pending_io_wait* self) {
    auto* me = static_cast<readiness_awaiter*>(self);
    me->slot_.cancel(me, tpl::detail::io_wake_reason::pool_shut_down);
  }
  void leave_pool() {
    if (!registered_) return;
    uncount_wait(*this, *pool_);
    registered_ = false;
  }

  tpl::detail::io_operation_slot& slot_;
  const cancellation_token& token_;
  std::coroutine_handle<> coroutine_;
  thread_pool* pool_ = nullptr;  // where it resumes; set before it can be claimed
  bool registered_ = false;      // entered pool_'s pending I/O waits
  cancellation_registration registration_;
  std::exception_ptr registration_error_;
  tpl::detail::io_wake_reason outcome_ = tpl::detail::io_wake_reason::ready;
};

}  // namespace tpl::io::detail
