// The process-wide timer service and its dispatcher to the default pool.
#include "tpl/detail/timer_service.hpp"

#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>

#include "tpl/thread_pool.hpp"

namespace tpl::detail {

namespace {

// A due callback goes to the default pool. If the pool refuses (it is shutting down) or cannot
// queue it (no memory), it runs here on the timer thread rather than being lost, and what it
// throws goes to the pool's unhandled-exception handler, as it would have on the pool: nothing
// may escape the timer thread (std::terminate).
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

}  // namespace

namespace {

// Guards the creation of the process-wide service against process exit (stop_at_exit): a
// service created while the process exits (a pool task calling delay() as the default pool
// drains) is created stopped. Never destroyed: used during static destruction.
struct process_timer {
  std::mutex mutex;
  timer_service* service = nullptr;  // under mutex
  bool exiting = false;              // under mutex
};

process_timer& the_process_timer() {
  static process_timer& instance = *new process_timer();
  return instance;
}

}  // namespace

timer_service& timer_service::instance() {
  // Never destroyed: pool workers, static sources and pending delays may use the service during
  // static destruction. The default pool (created first, so that its exit handler exists) calls
  // stop_at_exit() before it drains: pending timers are dropped (their delays fault with
  // broken_promise) so that no pool task waits on a timer at exit, and the thread never hands
  // work to a pool that stopped.
  static timer_service& service = []() -> timer_service& {
    (void)thread_pool::default_pool();
    process_timer& process = the_process_timer();
    // Owned until it is published: if the thread cannot start (no memory, no threads), the
    // service is freed, the exception reaches the caller, and the next call tries again.
    auto created = std::make_unique<timer_service>(&dispatch_to_default_pool);
    std::lock_guard lock(process.mutex);
    if (process.exiting) {
      created->stop();  // refuses every schedule(): the delay ends broken_promise, never hangs
    } else {
      created->start_thread();
    }
    process.service = created.get();
    return *created.release();
  }();
  return service;
}

void timer_service::stop_at_exit() {
  process_timer& process = the_process_timer();
  timer_service* service = nullptr;
  {
    std::lock_guard lock(process.mutex);
    process.exiting = true;
    service = process.service;
  }
  if (service != nullptr) service->stop();
}

}  // namespace tpl::detail
