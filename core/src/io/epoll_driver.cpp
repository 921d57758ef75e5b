#include "detail/epoll_driver.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "detail/io_descriptor.hpp"

namespace tpl::io::detail {

namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::system_category(), what); }

}  // namespace

epoll_driver::epoll_driver(int interrupt_event) : interrupt_event_(interrupt_event) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) fail("tpl::io: epoll_create1");
  epoll_event event{};
  event.events = EPOLLIN;  // level-triggered: readable until the poller reads it
  event.data.ptr = nullptr;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, interrupt_event_, &event) != 0) {
    const int error = errno;
    ::close(epoll_);
    throw std::system_error(error, std::system_category(), "tpl::io: epoll_ctl(ADD) for the reactor's eventfd");
  }
}

void epoll_driver::watch(const std::shared_ptr<io_descriptor>& descriptor) {
  epoll_event event{};
  // Edge-triggered, both directions, once: a report is remembered by the slot it goes to, so
  // no re-arming (EPOLLONESHOT) and no epoll_ctl per operation.
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = descriptor.get();  // kept alive until unwatched and retired
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, descriptor->number(), &event) != 0) fail("tpl::io: epoll_ctl(ADD)");
}

void epoll_driver::unwatch(std::shared_ptr<io_descriptor> descriptor) noexcept {
  // Errors are ignored: the descriptor is being closed, which deregisters it anyway.
  (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, descriptor->number(), nullptr);
  io_descriptor* retiring = descriptor.get();
  const std::lock_guard lock(retired_mutex_);
  retiring->retired_self = std::move(descriptor);  // no allocation: the list is intrusive
  retiring->next_retired = retired_;
  retired_ = retiring;
}

void epoll_driver::poll(int timeout_ms) noexcept {
  constexpr int batch_size = 256;
  epoll_event events[batch_size];
  const int count = ::epoll_wait(epoll_, events, batch_size, timeout_ms);
  if (count < 0) {
    if (errno == EINTR) return;
    std::perror("tpl::io: epoll_wait");
    std::abort();
  }
  for (int index = 0; index < count; ++index) {
    auto* descriptor = static_cast<io_descriptor*>(events[index].data.ptr);
    if (descriptor == nullptr) {  // process_reactor::interrupt(): reset the eventfd
      std::uint64_t drained = 0;
      (void)::read(interrupt_event_, &drained, sizeof drained);
      continue;
    }
    const std::uint32_t what = events[index].events;
    // A hang-up or error wakes both sides: the retried call reports it (0 bytes, EPIPE, ...).
    if ((what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) descriptor->read_side().notify_ready();
    if ((what & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) descriptor->write_side().notify_ready();
  }
  // This batch is done: what was retired before now cannot be named by the next one (the
  // poller role makes the batches of successive pollers one sequence).
  io_descriptor* to_drop = nullptr;
  {
    const std::lock_guard lock(retired_mutex_);
    to_drop = std::exchange(retired_, nullptr);
  }
  while (to_drop != nullptr) {
    io_descriptor* next = to_drop->next_retired;
    const std::shared_ptr<io_descriptor> last_reference = std::move(to_drop->retired_self);
    to_drop = next;
  }
}

std::unique_ptr<io_driver> make_epoll_driver(int interrupt_event) {
  return std::make_unique<epoll_driver>(interrupt_event);
}

}  // namespace tpl::io::detail
