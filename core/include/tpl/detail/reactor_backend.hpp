// What the process reactor (process_reactor.hpp) waits in once tpl::io has started: the I/O
// driver's epoll instance or io_uring ring. The backend also reports the reactor's interrupt
// eventfd (process_reactor::interrupt_event()) and drains it when it does, so that one write to
// that eventfd makes any poll return, whichever way the poller waits.
#pragma once

namespace tpl::detail {

class reactor_backend {
 public:
  reactor_backend() = default;
  reactor_backend(const reactor_backend&) = delete;
  reactor_backend& operator=(const reactor_backend&) = delete;
  virtual ~reactor_backend() = default;

  // One turn: wait up to `timeout_ms` (-1: until a report or an interrupt; 0: not at all), then
  // hand every report taken to its operation. Only the poller role's holder calls it.
  virtual void poll(int timeout_ms) noexcept = 0;
  // Submits the requests pool workers queued without submitting (io_uring's completion-based
  // operations; io_submissions_owed in io_poller.hpp). Nothing for a readiness backend.
  virtual void submit_queued() noexcept {}
};

}  // namespace tpl::detail
