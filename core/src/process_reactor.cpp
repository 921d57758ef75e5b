// The process reactor (tpl/detail/process_reactor.hpp): its eventfd, its turn, the timers'
// dispatch to the default pool, and the process-wide instance with its exit rule.
#include "tpl/detail/process_reactor.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>

#include "tpl/thread_pool.hpp"

namespace tpl::detail {

namespace {

// A due callback goes to the default pool. If the pool refuses (it is shutting down) or cannot
// queue it (no memory), it runs here, in the poller's turn, rather than being lost, and what it
// throws goes to the pool's unhandled-exception handler, as it would have on the pool: nothing
// may escape the poller's noexcept turn (std::terminate).
void dispatch_to_default_pool(timer_service::callback& due) {
  try {
    thread_pool::default_pool().submit(timer_service::callback(due));  // a copy: kept if refused
    return;
  } catch (...) {
    // refused or out of memory: `due` is still whole
  }
  try {
    due();
  } catch (...) {
    detail::pool_access::report_unhandled(thread_pool::default_pool(), std::current_exception());
  }
}

void wake_a_worker_to_poll() noexcept { pool_access::wake_a_worker_to_poll(); }

// How long the poller may wait: `timeout_ms` (-1: no bound) cut to the earliest deadline.
int bounded_by(int timeout_ms, timer_service::clock::time_point earliest) {
  using clock = timer_service::clock;
  if (timeout_ms == 0 || earliest == clock::time_point::max()) return timeout_ms;
  const clock::time_point now = clock::now();
  // Rounded up: a poll that returned before the deadline would only come back for nothing.
  const long long until = earliest <= now ? 0 : std::chrono::ceil<std::chrono::milliseconds>(earliest - now).count();
  if (timeout_ms > 0 && until >= timeout_ms) return timeout_ms;
  return until > INT_MAX ? INT_MAX : static_cast<int>(until);
}

// Guards the creation of the process reactor against process exit (stop_at_exit): a reactor
// created while the process exits (a pool task calling delay() as the default pool drains) has
// its timers stopped at once. Never destroyed: used during static destruction.
struct process_timers {
  std::mutex mutex;
  timer_service* service = nullptr;  // under mutex
  bool exiting = false;              // under mutex
};

process_timers& the_process_timers() {
  static process_timers& instance = *new process_timers();
  return instance;
}

}  // namespace

process_reactor::process_reactor()
    : interrupt_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      timers_(&dispatch_to_default_pool, this, &wake_a_worker_to_poll) {
  if (interrupt_event_ < 0) throw std::system_error(errno, std::system_category(), "tpl: eventfd for the reactor");
}

process_reactor& process_reactor::instance() {
  // Never destroyed: pool workers, static sources and pending delays may use it during static
  // destruction. The default pool (created first, so that its exit handler exists and so that
  // a timer's callback always has a pool) calls timer_service::stop_at_exit() before it drains:
  // pending timers are dropped (their delays fault with broken_promise) so that no pool task
  // waits on a timer at exit.
  static process_reactor& reactor = []() -> process_reactor& {
    (void)thread_pool::default_pool();
    process_timers& process = the_process_timers();
    // Owned until it is published: if the eventfd cannot be made, the exception reaches the
    // caller and the next call tries again.
    std::unique_ptr<process_reactor> created(new process_reactor());
    std::lock_guard lock(process.mutex);
    if (process.exiting) created->timers_.stop();  // every schedule() refused: broken_promise, never a hang
    process.service = &created->timers_;
    install_io_poller(created.get());  // from now on, idle pool workers poll it
    return *created.release();
  }();
  return reactor;
}

void process_reactor::attach_io_backend(reactor_backend& backend) noexcept {
  // release: pairs with poll()'s acquire: the driver is built before a poller waits in it.
  io_backend_.store(&backend, std::memory_order_release);
  interrupt();  // a poller waiting in poll(2) returns and waits in the backend from its next turn
}

void process_reactor::poll(int timeout_ms) noexcept {
  const int wait_ms = bounded_by(timeout_ms, timers_.earliest_deadline());
  // acquire: pairs with attach_io_backend()'s release (above).
  if (reactor_backend* backend = io_backend_.load(std::memory_order_acquire)) {
    backend->poll(wait_ms);
  } else if (wait_ms != 0) {
    wait_for_interrupt(wait_ms);  // no I/O to take without waiting: a busy worker's turn costs no system call
  }
  timers_.fire_due(timer_service::clock::now());
}

void process_reactor::wait_for_interrupt(int timeout_ms) noexcept {
  pollfd event{interrupt_event_, POLLIN, 0};
  // EINTR or an error only ends this turn early: the poller comes back.
  if (::poll(&event, 1, timeout_ms) > 0 && (event.revents & POLLIN) != 0) {
    std::uint64_t drained = 0;
    (void)::read(interrupt_event_, &drained, sizeof drained);
  }
}

void process_reactor::interrupt() noexcept {
  const std::uint64_t one = 1;
  // A full counter (never: it would take 2^64 - 2 interrupts unread) or EINTR would only delay
  // the poller until its next report or deadline; nothing to do about either here.
  (void)::write(interrupt_event_, &one, sizeof one);
}

void process_reactor::submit_queued() noexcept {
  // acquire: as in poll() (a worker that queued a request saw the driver: it is attached).
  if (reactor_backend* backend = io_backend_.load(std::memory_order_acquire)) backend->submit_queued();
}

timer_service& timer_service::instance() { return process_reactor::instance().timers(); }

void timer_service::stop_at_exit() {
  process_timers& process = the_process_timers();
  timer_service* service = nullptr;
  {
    std::lock_guard lock(process.mutex);
    process.exiting = true;
    service = process.service;
  }
  if (service != nullptr) service->stop();
}

}  // namespace tpl::detail
