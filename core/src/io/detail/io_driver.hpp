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

#include <memory>

#include "tpl/detail/reactor_backend.hpp"

namespace tpl::io::detail {

class io_descriptor;

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
};

// The backends' factories: throw std::system_error where the kernel refuses the backend.
// `interrupt_event`: the reactor's eventfd, which the backend reports and drains (not owned).
std::unique_ptr<io_driver> make_uring_driver(int interrupt_event);
std::unique_ptr<io_driver> make_epoll_driver(int interrupt_event);

}  // namespace tpl::io::detail
