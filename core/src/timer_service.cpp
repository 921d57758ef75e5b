// The process-wide timer service and its dispatcher to the default pool.
#include "tpl/detail/timer_service.hpp"

#include <cstdlib>
#include <exception>

#include "tpl/thread_pool.hpp"

namespace tpl::detail {

namespace {

// A due callback goes to the default pool. If the pool refuses (it is shutting down) or cannot
// queue it (no memory), it runs here on the timer thread rather than being lost.
void dispatch_to_default_pool(timer_service::callback& due) {
  try {
    thread_pool::default_pool().submit(timer_service::callback(due));  // a copy: kept if refused
    return;
  } catch (...) {
    // refused or out of memory: `due` is still whole
  }
  due();
}

}  // namespace

timer_service& timer_service::instance() {
  // Never destroyed: pool workers, static sources and pending delays may use the service during
  // static destruction. Its thread is stopped by an atexit handler registered after the
  // default pool was built, so it runs before the pool's own exit handler: the thread never
  // hands work to a pool that stopped, and pending timers are dropped (their delays fault with
  // broken_promise) before the pool drains, so no pool task waits on a timer at exit.
  static timer_service& service = []() -> timer_service& {
    (void)thread_pool::default_pool();
    auto* created = new timer_service(&dispatch_to_default_pool);
    created->start_thread();
    std::atexit([] { instance().stop(); });
    return *created;
  }();
  return service;
}

}  // namespace tpl::detail
