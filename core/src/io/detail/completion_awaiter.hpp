// `co_await completion_awaiter{...}`: one receive or send performed by the kernel (io_uring), its
// result delivered with its completion: no readiness report, no second system call (issue 30,
// "completion-based io_uring"; docs/io.md).
//
// Three parties, and who resumes the operation:
//   * the suspender (await_suspend): queues the request (the driver pins the descriptor's
//     number for the request's whole flight), registers with its pool and its token, then
//     arrives at the gate (io_waiter::finish_suspending);
//   * the completion (the poller's reap, complete()): records the result, then arrives;
//   * a canceller (the token's callback, the pool's shutdown, the stream's close): asks the
//     kernel to cancel the request, and nothing else. The request still completes exactly once,
//     with -ECANCELED (it consumed nothing) or with the result it had already reached, so a
//     cancel never races the completion for the result, and the buffer stays the kernel's until
//     that completion: the operation never resumes while the kernel may still write into it.
// The second arrival at the gate resumes the operation on its pool (or, for the suspender,
// goes on without suspending). models/model_io_completion.cpp checks this with the shipped
// io_completion_target and a mock kernel that completes or cancels nondeterministically.
#pragma once

#include <cerrno>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>

#include "detail/io_descriptor.hpp"
#include "detail/io_driver.hpp"
#include "detail/io_wait_registration.hpp"
#include "tpl/cancellation_registration.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/detail/io_completion_target.hpp"
#include "tpl/detail/io_operation_slot.hpp"
#include "tpl/detail/io_poller.hpp"
#include "tpl/detail/pending_io_waits.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl::io::detail {

// What a completion names (the shipped class the model runs).
using completion_target = tpl::detail::io_completion_target;

enum class completion_kind : std::uint8_t { receive, send };

// How an operation performed by the kernel ended.
struct completion_outcome {
  int result = 0;  // bytes, or -errno (-ECANCELED: see reason)
  tpl::detail::io_wake_reason reason = tpl::detail::io_wake_reason::ready;  // for -ECANCELED
};

class completion_awaiter final : public completion_target,
                                 public tpl::detail::work_item,
                                 public tpl::detail::pending_io_wait {
 public:
  completion_awaiter(io_driver& driver, io_descriptor& descriptor, completion_kind kind, void* buffer, std::size_t size,
                     const cancellation_token& token) noexcept
      : completion_target(&completion_awaiter::queue_resumption),
        work_item{&completion_awaiter::resume},
        pending_io_wait(&completion_awaiter::cancel_for_shutdown),
        driver_(driver),
        descriptor_(descriptor),
        kind_(kind),
        buffer_(buffer),
        size_(size),
        token_(token) {}
  completion_awaiter(const completion_awaiter&) = delete;
  completion_awaiter& operator=(const completion_awaiter&) = delete;

  [[nodiscard]] bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> coroutine) noexcept {
    coroutine_ = coroutine;
    pool_ = pool_to_resume_on();
    // Queued and registered with the pool it resumes on in one step (pending_io_waits.hpp): a
    // shutdown either refuses it first or finds it registered and cancels it.
    bool queued = false;
    bool queue_failed = false;
    const bool pool_open = pool_ != nullptr && tpl::detail::pool_access::io_waits(*pool_).enter(*this, [&] {
      try {
        queued = kind_ == completion_kind::receive ? driver_.queue_receive(descriptor_, buffer_, size_, *this)
                                                   : driver_.queue_send(descriptor_, buffer_, size_, *this);
      } catch (...) {
        queue_failed = true;  // no entry in the ring (it could not be submitted)
        queue_error_ = std::current_exception();
      }
      return queued;
    });
    if (!pool_open || !queued) {
      outcome_.result = -ECANCELED;
      outcome_.reason = !pool_open ? tpl::detail::io_wake_reason::pool_shut_down : tpl::detail::io_wake_reason::closed;
      if (queue_failed) outcome_.result = -EIO;  // await_resume rethrows queue_error_
      return false;
    }
    registered_ = true;
    in_flight_ = true;
    count_registered_wait(*pool_);
    if (token_.can_be_canceled()) {
      try {
        registration_ = token_.register_callback([this] {
          if (request_cancel(tpl::detail::io_wake_reason::canceled)) driver_.cancel_operation(*this);
        });
      } catch (...) {
        // No registration: the request is canceled now, its completion still ends it.
        registration_error_ = std::current_exception();
        if (request_cancel(tpl::detail::io_wake_reason::canceled)) driver_.cancel_operation(*this);
      }
    }
    if (finish_suspending()) {  // the completion came first: go on without suspending
      leave_pool();
      return false;
    }
    return true;
  }

  completion_outcome await_resume() {
    registration_ = {};  // waits for a cancellation callback still running on another thread
    if (queue_error_ != nullptr) std::rethrow_exception(queue_error_);
    if (in_flight_) {
      in_flight_ = false;
      outcome_.result = result();
      outcome_.reason = cancel_reason();
      descriptor_.end_call();  // the request's pin (queue_receive / queue_send); may close the number
    }
    if (registration_error_ != nullptr && outcome_.result == -ECANCELED) std::rethrow_exception(registration_error_);
    return outcome_;
  }

 private:
  static void queue_resumption(tpl::detail::io_waiter* self) {
    auto* me = static_cast<completion_awaiter*>(self);
    tpl::detail::queue_to({me->pool_}, me);
  }
  static void resume(tpl::detail::work_item* self, bool) {
    auto* me = static_cast<completion_awaiter*>(self);
    me->leave_pool();
    me->coroutine_.resume();
  }
  // Under the pool's registry lock: asks the kernel only (its completion resumes the operation,
  // on the pool, which still takes work until every registered wait has left).
  static void cancel_for_shutdown(tpl::detail::pending_io_wait* self) {
    auto* me = static_cast<completion_awaiter*>(self);
    if (me->request_cancel(tpl::detail::io_wake_reason::pool_shut_down)) me->driver_.cancel_operation(*me);
  }
  void leave_pool() {
    if (!registered_) return;
    uncount_wait(*this, *pool_);
    registered_ = false;
  }

  io_driver& driver_;
  io_descriptor& descriptor_;
  completion_kind kind_;
  void* buffer_;
  std::size_t size_;
  const cancellation_token& token_;
  std::coroutine_handle<> coroutine_;
  thread_pool* pool_ = nullptr;
  bool registered_ = false;  // entered pool_'s pending I/O waits
  bool in_flight_ = false;   // queued: the completion will come, and the pin is ours to release
  cancellation_registration registration_;
  std::exception_ptr registration_error_;
  std::exception_ptr queue_error_;
  completion_outcome outcome_;
};

}  // namespace tpl::io::detail
