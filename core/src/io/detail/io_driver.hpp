// The I/O driver: the backend of the process reactor (tpl/detail/process_reactor.hpp), which turns
// each of the kernel's readiness reports into notify_ready() on a descriptor's read and/or write
// slot. It has no thread of its own: the pools' idle workers wait in its poll() (one at a time,
// the poller role, with the earliest timer as the timeout) while I/O waits or timers are
// pending; busy workers poll it without waiting every config::io_poll_interval items. It also
// reports and drains the reactor's interrupt eventfd. Two backends, chosen once, at first use
// (docs/io.md):
//   * io_uring (uring_driver.cpp): a multishot poll request per descriptor, completions reaped
//     from the ring; chosen when the kernel allows io_uring (containers often forbid it);
//   * epoll (epoll_driver.cpp): edge-triggered, one registration per descriptor; the fallback.
// TPL_IO_BACKEND=epoll or =io_uring in the environment forces one (the tests run both).
#pragma once

#include <cstddef>
#include <memory>

#include "tpl/detail/io_completion_target.hpp"
#include "tpl/detail/reactor_backend.hpp"

namespace tpl::io::detail {

class io_descriptor;
using completion_target = tpl::detail::io_completion_target;

class io_driver : public tpl::detail::reactor_backend {
 public:
  // The process's driver, started on first use and stopped at exit. Throws std::system_error
  // if neither backend can start (or the forced one cannot), and tpl::invalid_operation in a
  // child forked after the driver started (the driver is the parent's).
  static io_driver& instance();
  // For a descriptor being closed (so the driver exists): the driver, or nullptr in a forked
  // child, where the descriptor must be closed without touching the parent's reactor.
  static io_driver* instance_unless_inherited() noexcept;

  io_driver() = default;

  // Starts reporting readiness for `descriptor` (both directions). Throws std::system_error
  // (EPERM for a regular file under epoll, ENOMEM).
  virtual void watch(const std::shared_ptr<io_descriptor>& descriptor) = 0;
  // Stops reporting for `descriptor`, keeping its state alive for as long as a report already
  // taken from the kernel may still name it. Call before closing the number.
  virtual void unwatch(std::shared_ptr<io_descriptor> descriptor) noexcept = 0;

  [[nodiscard]] virtual const char* backend_name() const noexcept = 0;

  // Completion-based operations (io_uring only; completion_awaiter.hpp): the kernel performs the
  // receive or send and its completion carries the result, with no readiness round trip.
  [[nodiscard]] virtual bool performs_operations() const noexcept { return false; }
  // Queues the operation for `target` (its completion calls target->complete(result)), after
  // pinning the descriptor's number under the driver's submission lock (so that a close either
  // refuses the pin or queues its cancellation after this request). false: the descriptor is
  // being closed, nothing was queued. Submitted at once from a thread outside every pool; from a
  // pool worker, left for the poller's next turn or the worker's end of item (docs/io.md).
  virtual bool queue_receive(io_descriptor&, void* /*buffer*/, std::size_t /*size*/, completion_target&) { return false; }
  virtual bool queue_send(io_descriptor&, const void* /*bytes*/, std::size_t /*size*/, completion_target&) { return false; }
  // Asks the kernel to cancel `target`'s operation (its completion still comes, -ECANCELED or
  // the result it had already reached). Any thread.
  virtual void cancel_operation(completion_target&) noexcept {}
  // close() of a descriptor whose calls are still pinned: cancels every operation in flight on
  // it (their completions end them; the last unpin closes the number).
  virtual void cancel_operations_on(io_descriptor&) noexcept {}
};

// The backends' factories: throw std::system_error where the kernel refuses the backend.
// `interrupt_event`: the reactor's eventfd, which the backend reports and drains (not owned).
std::unique_ptr<io_driver> make_uring_driver(int interrupt_event);
std::unique_ptr<io_driver> make_epoll_driver(int interrupt_event);

}  // namespace tpl::io::detail
