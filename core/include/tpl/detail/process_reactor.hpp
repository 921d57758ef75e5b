// The process's one reactor (issue 30, "one runtime"): the io_poller that the pools' idle
// workers wait in, for I/O reports and for the earliest timer, with no thread of its own.
//
// It starts on first use of a timer (delay, cancel_after, with_timeout) or of tpl::io, and is
// never destroyed. Until tpl::io starts, the poller waits in poll(2) on the reactor's interrupt
// eventfd with the earliest deadline as its timeout; tpl::io then attaches its driver
// (attach_io_backend), and the poller waits in epoll_wait / io_uring_enter instead, where the
// same eventfd is registered. Because interrupt() is one write to that eventfd whichever
// backend the poller waits in, a backend attached while a poller waits loses no interrupt.
//
// Each turn (poll): the timeout is cut to the earliest timer's deadline, the backend waits and
// hands its reports over, then every timer due is handed to the default pool (timer_service.hpp).
#pragma once

#include "tpl/detail/io_poller.hpp"
#include "tpl/detail/reactor_backend.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class process_reactor final : public io_poller {
 public:
  // The process's reactor, started on first use (it starts the default pool first). Throws
  // std::system_error if the eventfd cannot be made.
  static process_reactor& instance();

  [[nodiscard]] timer_service& timers() noexcept { return timers_; }
  // The eventfd every backend must report to its poller and drain (reactor_backend.hpp).
  [[nodiscard]] int interrupt_event() const noexcept { return interrupt_event_; }
  // tpl::io's driver, once; from then on the poller waits in it.
  void attach_io_backend(reactor_backend& backend) noexcept;

  void poll(int timeout_ms) noexcept override;
  void interrupt() noexcept override;
  void submit_queued() noexcept override;

 private:
  process_reactor();
  // The wait before tpl::io attaches a backend: poll(2) on the interrupt eventfd.
  void wait_for_interrupt(int timeout_ms) noexcept;

  int interrupt_event_ = -1;
  sync::atomic<reactor_backend*> io_backend_{nullptr};
  timer_service timers_;
};

}  // namespace tpl::detail
