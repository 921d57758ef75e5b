// The io_uring backend (detail/io_driver.hpp): one multishot poll request per descriptor, for
// both directions; the pools' idle workers reap completions, one at a time (the poller role).
// Each completion is a readiness report, as epoll's; the operations themselves still make their
// system calls (a completion-based design, where the ring performs the recv, is the next step:
// docs/io.md). The reactor's interrupt eventfd has its own multishot poll, so a notifier's
// process_reactor::interrupt() ends the poller's wait.
//
// Lifetime: a poll request's completion names its registration, which holds the descriptor's
// state alive. unwatch() asks the kernel to remove the request; the registration (and with it
// the state) is freed when the request's last completion (one without IORING_CQE_F_MORE)
// arrives, so no completion ever names freed memory. A request the kernel ends on its own (the
// completion queue overflowed) is submitted again.
#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "detail/completion_awaiter.hpp"
#include "detail/io_descriptor.hpp"
#include "detail/io_driver.hpp"
#include "tpl/detail/io_poller.hpp"
#include "tpl/detail/task_scheduling.hpp"

namespace tpl::io::detail {

namespace {

constexpr unsigned default_ring_entries = 1024;

// TPL_IO_URING_ENTRIES=n sizes the ring (a power of two, 2 to 32768): the tests run with a tiny
// ring so that the completion queue overflows and the overflow path is exercised.
unsigned ring_entries() {
  const char* text = std::getenv("TPL_IO_URING_ENTRIES");
  if (text == nullptr || *text == '\0') return default_ring_entries;
  char* end = nullptr;
  const unsigned long entries = std::strtoul(text, &end, 10);
  if (*end != '\0' || entries < 2 || entries > 32768 || (entries & (entries - 1)) != 0) {
    throw std::invalid_argument(std::string("tpl::io: TPL_IO_URING_ENTRIES='") + text + "': a power of two, 2 to 32768");
  }
  return static_cast<unsigned>(entries);
}
constexpr std::uint64_t ignored_tag = 1;  // the probe's poll, and a poll-remove request's own completion
constexpr std::uint64_t interrupt_tag = 2;  // the interrupt eventfd's poll
// A completion-based operation's request: its completion_target's address with the low bit set
// (the targets are aligned, and a poll registration's address never has it).
constexpr std::uint64_t operation_bit = 1;
std::uint64_t operation_tag(completion_target& target) noexcept {
  return reinterpret_cast<std::uint64_t>(&target) | operation_bit;
}
constexpr unsigned watched_events = POLLIN | POLLOUT | POLLRDHUP;

// A request that ends this many times in a row without reporting anything is not armed again
// (a descriptor whose poll fails at once would otherwise keep the driver spinning).
constexpr unsigned max_empty_rearms = 8;

struct poll_registration {
  std::shared_ptr<io_descriptor> descriptor;  // alive until the request's last completion
  bool removing = false;                      // under the submit lock
  unsigned empty_ends = 0;                    // driver thread only
};

class uring_driver final : public io_driver {
 public:
  explicit uring_driver(int interrupt_event) : interrupt_event_(interrupt_event) {
    const unsigned entries = ring_entries();
    const int result = ::io_uring_queue_init(entries, &ring_, 0);
    if (result < 0) throw std::system_error(-result, std::system_category(), "tpl::io: io_uring_queue_init");
    if ((ring_.features & IORING_FEAT_EXT_ARG) == 0) {
      // A wait with a timeout (the earliest timer) would need a timeout request in the ring,
      // which only the submit lock's holder may add; Linux 5.11 passes it to the wait instead.
      ::io_uring_queue_exit(&ring_);
      throw std::system_error(ENOSYS, std::system_category(), "tpl::io: io_uring without IORING_FEAT_EXT_ARG");
    }
    probe_event_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (probe_event_ < 0) {
      const int error = errno;
      ::io_uring_queue_exit(&ring_);
      throw std::system_error(error, std::system_category(), "tpl::io: eventfd");
    }
    try {
      finished_.reserve(2 * entries);  // a reap sees at most a full completion queue: no allocation there
      still_armed_.reserve(2 * entries);
      probe_multishot_poll();
      std::lock_guard lock(submit_mutex_);
      const int submitted = submit_interrupt_poll();
      if (submitted < 0) throw std::system_error(-submitted, std::system_category(), "tpl::io: io_uring_submit");
    } catch (...) {
      ::io_uring_queue_exit(&ring_);
      ::close(probe_event_);
      throw;
    }
  }

  void watch(const std::shared_ptr<io_descriptor>& descriptor) override {
    auto* registration = new poll_registration{descriptor};
    std::lock_guard lock(submit_mutex_);
    try {
      registrations_.insert(registration);
    } catch (...) {
      delete registration;
      throw;
    }
    descriptor->driver_record = registration;
    const int result = submit_poll(registration);
    if (result < 0) {
      registrations_.erase(registration);
      descriptor->driver_record = nullptr;
      delete registration;
      throw std::system_error(-result, std::system_category(), "tpl::io: io_uring poll");
    }
  }

  void unwatch(std::shared_ptr<io_descriptor> descriptor) noexcept override {
    std::lock_guard lock(submit_mutex_);
    auto* registration = static_cast<poll_registration*>(descriptor->driver_record);
    if (registration == nullptr || registration->removing) return;
    registration->removing = true;
    io_uring_sqe* entry = next_entry();
    ::io_uring_prep_poll_remove(entry, reinterpret_cast<std::uint64_t>(registration));
    ::io_uring_sqe_set_data64(entry, ignored_tag);
    // A failed submit leaves the request armed; its registration then lives for ever, a leak
    // of one small record, never a use after free.
    (void)::io_uring_submit(&ring_);
  }

  [[nodiscard]] const char* backend_name() const noexcept override { return "io_uring"; }

  [[nodiscard]] bool performs_operations() const noexcept override { return performs_operations_; }

  bool queue_receive(io_descriptor& descriptor, void* buffer, std::size_t size, completion_target& target) override {
    std::unique_lock lock(submit_mutex_);
    if (!descriptor.begin_call()) return false;  // closing: refused (the caller reports the close)
    io_uring_sqe* entry = next_entry();
    if (descriptor.is_socket()) {
      ::io_uring_prep_recv(entry, descriptor.number(), buffer, size, 0);
    } else {
      ::io_uring_prep_read(entry, descriptor.number(), buffer, static_cast<unsigned>(size), static_cast<std::uint64_t>(-1));
    }
    ::io_uring_sqe_set_data64(entry, operation_tag(target));
    submit_or_owe();
    return true;
  }

  bool queue_send(io_descriptor& descriptor, const void* bytes, std::size_t size, completion_target& target) override {
    std::unique_lock lock(submit_mutex_);
    if (!descriptor.begin_call()) return false;
    io_uring_sqe* entry = next_entry();
    if (descriptor.is_socket()) {
      ::io_uring_prep_send(entry, descriptor.number(), bytes, size, MSG_NOSIGNAL);
    } else {
      ::io_uring_prep_write(entry, descriptor.number(), bytes, static_cast<unsigned>(size), static_cast<std::uint64_t>(-1));
    }
    ::io_uring_sqe_set_data64(entry, operation_tag(target));
    submit_or_owe();
    return true;
  }

  void cancel_operation(completion_target& target) noexcept override {
    std::lock_guard lock(submit_mutex_);
    io_uring_sqe* entry = next_entry();
    ::io_uring_prep_cancel64(entry, operation_tag(target), 0);
    ::io_uring_sqe_set_data64(entry, ignored_tag);
    (void)::io_uring_submit(&ring_);  // also submits the request itself if it was still queued, before this
  }

  void cancel_operations_on(io_descriptor& descriptor) noexcept override {
    std::lock_guard lock(submit_mutex_);
    io_uring_sqe* entry = next_entry();
    ::io_uring_prep_cancel_fd(entry, descriptor.number(), IORING_ASYNC_CANCEL_ALL);
    ::io_uring_sqe_set_data64(entry, ignored_tag);
    (void)::io_uring_submit(&ring_);
  }

  void submit_queued() noexcept override {
    std::lock_guard lock(submit_mutex_);
    (void)::io_uring_submit(&ring_);  // no system call when nothing is queued
  }

  void poll(int timeout_ms) noexcept override {
    // First what the pools' workers queued since the last turn: one system call for all of it.
    submit_queued();
    io_uring_cqe* completion = nullptr;
    // peek also flushes an overflowed completion queue when the kernel holds completions back.
    int waited = 0;
    if (timeout_ms == 0) {
      waited = ::io_uring_peek_cqe(&ring_, &completion);
    } else if (timeout_ms < 0) {
      waited = ::io_uring_wait_cqe(&ring_, &completion);
    } else {
      // The earliest timer's deadline, passed to the wait itself (IORING_FEAT_EXT_ARG): no
      // timeout request enters the ring.
      __kernel_timespec timeout{};
      timeout.tv_sec = timeout_ms / 1000;
      timeout.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
      waited = ::io_uring_wait_cqe_timeout(&ring_, &completion, &timeout);
    }
    if (waited == -EINTR || waited == -EAGAIN || waited == -ETIME) return;
    if (waited < 0) {
      std::fprintf(stderr, "tpl::io: io_uring_wait_cqe: %d\n", waited);
      std::abort();
    }
    reap();
  }

 private:
  // Multishot poll needs Linux 5.13. Arm one on an eventfd, make it ready, and check that its
  // completion says more will come. The request stays armed on the eventfd, which nothing
  // writes again, and the driver is never destroyed (io_driver::instance), so it never stops.
  void probe_multishot_poll() {
    io_uring_sqe* entry = ::io_uring_get_sqe(&ring_);
    ::io_uring_prep_poll_multishot(entry, probe_event_, POLLIN);
    ::io_uring_sqe_set_data64(entry, ignored_tag);
    int result = ::io_uring_submit(&ring_);
    if (result < 0) throw std::system_error(-result, std::system_category(), "tpl::io: io_uring_submit");
    const std::uint64_t one = 1;
    if (::write(probe_event_, &one, sizeof one) != static_cast<ssize_t>(sizeof one)) {
      throw std::system_error(errno, std::system_category(), "tpl::io: eventfd write");
    }
    io_uring_cqe* completion = nullptr;
    result = ::io_uring_wait_cqe(&ring_, &completion);
    if (result < 0) throw std::system_error(-result, std::system_category(), "tpl::io: io_uring_wait_cqe");
    const bool multishot = completion->res >= 0 && (completion->flags & IORING_CQE_F_MORE) != 0;
    ::io_uring_cqe_seen(&ring_, completion);
    std::uint64_t drained = 0;
    (void)::read(probe_event_, &drained, sizeof drained);
    if (!multishot) throw std::system_error(ENOSYS, std::system_category(), "tpl::io: no multishot poll");
  }

  // Under the submit lock.
  io_uring_sqe* next_entry() {
    for (;;) {
      if (io_uring_sqe* entry = ::io_uring_get_sqe(&ring_)) return entry;
      (void)::io_uring_submit(&ring_);  // the queue is full: hand it to the kernel, then retry
    }
  }

  // Under the submit lock. Returns io_uring_submit's result.
  int submit_poll(poll_registration* registration) {
    io_uring_sqe* entry = next_entry();
    ::io_uring_prep_poll_multishot(entry, registration->descriptor->number(), watched_events);
    ::io_uring_sqe_set_data(entry, registration);
    return ::io_uring_submit(&ring_);
  }

  // Hands every completion counted now to its descriptor's slots; re-arms requests that ended.
  // The poller role's holder only (one at a time).
  void reap() noexcept {
    // Every registration named by these completions was submitted under the submit lock,
    // which its submitter still held or has released when the completion appeared: taking
    // the lock now orders the registration's writes before the reads below. Only the
    // completions counted before taking it are handled in this round (one posted later may
    // come from a submission this lock did not order). The ring's shared memory is invisible
    // to ThreadSanitizer; this makes the order explicit for it too.
    const unsigned ready = ::io_uring_cq_ready(&ring_);
    { std::lock_guard lock(submit_mutex_); }
    unsigned head = 0;
    unsigned seen = 0;
    bool rearm_interrupt = false;
    io_uring_cqe* completion = nullptr;
    io_uring_for_each_cqe(&ring_, head, completion) {
      if (seen == ready) break;
      ++seen;
      const std::uint64_t tag = ::io_uring_cqe_get_data64(completion);
      if (tag == ignored_tag) continue;
      if ((tag & operation_bit) != 0 && tag != ignored_tag) {
        // A completion-based operation ended: its result resumes it (completion_awaiter.hpp).
        reinterpret_cast<completion_target*>(tag & ~operation_bit)->complete(completion->res);
        continue;
      }
      if (tag == interrupt_tag) {
        std::uint64_t drained = 0;
        (void)::read(interrupt_event_, &drained, sizeof drained);
        // Ended: an overflowed queue, or the thread that submitted it exited (the kernel
        // cancels a task's requests when it exits): arm it again from this thread.
        if ((completion->flags & IORING_CQE_F_MORE) == 0) rearm_interrupt = true;
        continue;
      }
      auto* registration = reinterpret_cast<poll_registration*>(tag);
      if (completion->res > 0) registration->empty_ends = 0;
      if (completion->res < 0 && !registration->removing) {
        // The request failed (it is re-armed below, a bounded number of times): wake both
        // sides so that a waiting operation retries its call and meets the real error.
        registration->descriptor->read_side().notify_ready();
        registration->descriptor->write_side().notify_ready();
      }
      if (completion->res > 0) {
        const auto events = static_cast<unsigned>(completion->res);
        // A hang-up or error wakes both sides: the retried call reports it.
        if ((events & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) != 0) {
          registration->descriptor->read_side().notify_ready();
        }
        if ((events & (POLLOUT | POLLHUP | POLLERR)) != 0) registration->descriptor->write_side().notify_ready();
      }
      // -ECANCELED without a removal: the thread that submitted the request exited (pool
      // workers come and go); that says nothing about the descriptor, so it is not counted
      // against the re-arm bound.
      if (completion->res == -ECANCELED && !registration->removing) registration->empty_ends = 0;
      if ((completion->flags & IORING_CQE_F_MORE) == 0) {
        finished_.push_back(registration);
      } else {
        still_armed_.push_back(registration);  // removed again below if it is being removed
      }
    }
    ::io_uring_cq_advance(&ring_, seen);
    if (finished_.empty() && still_armed_.empty() && !rearm_interrupt) return;
    std::lock_guard lock(submit_mutex_);
    // A removal that met the request while it was completing (-EALREADY) leaves it armed, and
    // an armed poll holds its file: the socket of a closed stream stayed open, so its peer
    // never saw the end of stream (the hang of the cancel race's last read, and of the echo
    // test under load: a RECV and the closed writer's POLL_ADD left in the ring's fdinfo). Its
    // next report says it is still armed: ask again.
    bool removal_asked = false;
    for (poll_registration* registration : still_armed_) {
      if (!registration->removing) continue;
      io_uring_sqe* entry = next_entry();
      ::io_uring_prep_poll_remove(entry, reinterpret_cast<std::uint64_t>(registration));
      ::io_uring_sqe_set_data64(entry, ignored_tag);
      removal_asked = true;
    }
    still_armed_.clear();
    if (removal_asked) (void)::io_uring_submit(&ring_);
    if (rearm_interrupt) (void)submit_interrupt_poll();
    for (poll_registration* registration : finished_) {
      // Ended on its own (the completion queue overflowed, or the submitting thread exited
      // and the kernel canceled the request): arm it again, from this thread.
      if (!registration->removing && ++registration->empty_ends <= max_empty_rearms &&
          submit_poll(registration) >= 0) {
        continue;
      }
      if (!registration->removing) {
        std::fprintf(stderr, "tpl::io: descriptor %d: its io_uring poll keeps ending; no more reports for it\n",
                     registration->descriptor->number());
      }
      registration->descriptor->driver_record = nullptr;
      registrations_.erase(registration);
      delete registration;
    }
    finished_.clear();
  }

  // Under the submit lock, after queueing an operation's request: from a pool worker the poller's
  // next turn (or the worker's end of item) submits it with whatever else was queued; from any
  // other thread, now.
  void submit_or_owe() {
    if (tpl::detail::ambient_target().pool != nullptr) {
      tpl::detail::io_submissions_owed = true;
      return;
    }
    // A failed submit (EBUSY, ENOMEM) leaves the request queued, never lost: the poller's next
    // turn submits it (the operation counts as a pending wait, so a poller comes).
    (void)::io_uring_submit(&ring_);
  }

  // Under the submit lock.
  int submit_interrupt_poll() {
    io_uring_sqe* entry = next_entry();
    ::io_uring_prep_poll_multishot(entry, interrupt_event_, POLLIN);
    ::io_uring_sqe_set_data64(entry, interrupt_tag);
    return ::io_uring_submit(&ring_);
  }

  // TPL_IO_URING_OPERATIONS=readiness keeps the readiness-based path (a poll report, then the
  // operation's own recv/send) for comparison in the benchmark; else the ring performs them.
  const bool performs_operations_ = [] {
    const char* mode = std::getenv("TPL_IO_URING_OPERATIONS");
    return mode == nullptr || std::strcmp(mode, "readiness") != 0;
  }();
  io_uring ring_{};
  int probe_event_ = -1;  // an eventfd that only the start-up probe writes
  int interrupt_event_;  // the reactor's eventfd (not owned); its multishot poll wakes the poller
  // The requests that ended in the current reap (the poller's only; capacity kept).
  std::vector<poll_registration*> finished_;
  // The requests whose completions in the current reap said they stay armed (capacity kept).
  std::vector<poll_registration*> still_armed_;
  std::mutex submit_mutex_;
  // Every live registration, under submit_mutex_. Otherwise only the kernel's ring names them
  // (memory LeakSanitizer does not scan): this keeps the ones still armed at exit reachable.
  std::unordered_set<poll_registration*> registrations_;
};

}  // namespace

std::unique_ptr<io_driver> make_uring_driver(int interrupt_event) {
  return std::make_unique<uring_driver>(interrupt_event);
}

}  // namespace tpl::io::detail
