// The I/O driver: one thread blocked in epoll_wait for the whole process, whatever the number
// of descriptors. Each descriptor is registered once, edge-triggered, for both directions; a
// report becomes notify_ready() on the descriptor's read and/or write slot, which hands a
// waiting operation to its pool. The driver never runs user code: resuming a coroutine is
// queued, so one slow handler cannot delay other descriptors' reports (docs/io.md says why a
// dedicated thread rather than polling from idle workers).
//
// A closed descriptor's state may still be named by the batch epoll_wait returned just before
// the close deregistered it; so deregistration hands the state to the driver (retire), which
// drops it only after finishing the batch it is in, when no later batch can name it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tpl::io::detail {

class io_descriptor;

class epoll_driver {
 public:
  // The process's driver, started on first use and stopped at exit.
  static epoll_driver& instance();

  epoll_driver(const epoll_driver&) = delete;
  epoll_driver& operator=(const epoll_driver&) = delete;
  ~epoll_driver();

  // Throws std::system_error with epoll_ctl's errno (EPERM for a regular file, ENOMEM).
  void watch(io_descriptor& descriptor);
  // Deregisters and keeps `descriptor` alive until the batch being processed is done. Call
  // before closing the number.
  void unwatch_and_retire(std::shared_ptr<io_descriptor> descriptor) noexcept;

  // How many reports the driver has handled, for tests and the demo.
  [[nodiscard]] unsigned long long reports_handled() const noexcept;

 private:
  epoll_driver();
  void run() noexcept;

  int epoll_ = -1;
  int wake_ = -1;  // an eventfd: stop
  std::mutex retired_mutex_;
  std::vector<std::shared_ptr<io_descriptor>> retired_;
  std::atomic<unsigned long long> reports_{0};
  std::thread thread_;
};

}  // namespace tpl::io::detail
