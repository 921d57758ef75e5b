// The epoll backend (io_driver.hpp): an epoll instance that the pools' idle workers wait on, one
// at a time (the poller role). Each descriptor is registered once, edge-triggered, for both
// directions; no epoll_ctl per operation. The reactor's interrupt eventfd is in the same set, so a
// notifier's process_reactor::interrupt() ends the poller's epoll_wait.
//
// A closed descriptor's state may still be named by the batch epoll_wait returned just before
// the close deregistered it; so deregistration hands the state to the driver (retire), and the
// poller drops it only after finishing the batch it is in, when no later batch can name it. The
// retired list is intrusive (io_descriptor::retired_self / next_retired): retiring runs inside
// a noexcept close() and must not allocate (issue 30, finding 2).
#pragma once

#include <memory>
#include <mutex>

#include "detail/io_driver.hpp"

namespace tpl::io::detail {

class epoll_driver final : public io_driver {
 public:
  // Throws std::system_error if epoll cannot be made or take the eventfd. Never destroyed
  // (io_driver::instance).
  explicit epoll_driver(int interrupt_event);

  void watch(const std::shared_ptr<io_descriptor>& descriptor) override;
  void unwatch(std::shared_ptr<io_descriptor> descriptor) noexcept override;
  [[nodiscard]] const char* backend_name() const noexcept override { return "epoll"; }
  void poll(int timeout_ms) noexcept override;

 private:
  int epoll_ = -1;
  int interrupt_event_;  // the reactor's eventfd (not owned), registered with a null data pointer
  std::mutex retired_mutex_;
  io_descriptor* retired_ = nullptr;  // under retired_mutex_; each keeps itself alive (retired_self)
};

}  // namespace tpl::io::detail
