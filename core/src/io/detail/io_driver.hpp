// The I/O driver: the process's reactor, which turns each of the kernel's readiness reports into
// notify_ready() on a descriptor's read and/or write slot. It has no thread of its own: it is an
// io_poller (tpl/detail/io_poller.hpp), and the pools' idle workers wait in its poll() (one at a
// time) while I/O waits are pending; busy workers poll it without waiting every
// config::io_poll_interval items. Two backends, chosen once, at first use (docs/io.md):
//   * io_uring (uring_driver.cpp): a multishot poll request per descriptor, completions reaped
//     from the ring; chosen when the kernel allows io_uring (containers often forbid it);
//   * epoll (epoll_driver.cpp): edge-triggered, one registration per descriptor; the fallback.
// TPL_IO_BACKEND=epoll or =io_uring in the environment forces one (the tests run both).
#pragma once

#include <memory>

#include "tpl/detail/io_poller.hpp"

namespace tpl::io::detail {

class io_descriptor;

class io_driver : public tpl::detail::io_poller {
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
std::unique_ptr<io_driver> make_uring_driver();
std::unique_ptr<io_driver> make_epoll_driver();

}  // namespace tpl::io::detail
