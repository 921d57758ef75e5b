/// \file
/// .NET's TaskScheduler.UnobservedTaskException: a task that faulted and whose exception nobody
/// looked at (no co_await, get(), wait() or exception() on it) reports that exception when its
/// last handle goes away, so that no exception is lost silently.
///
/// The handler runs on whichever thread drops the last handle. The default handler writes the
/// exception to stderr and returns (since .NET 4.5 an unobserved exception no longer ends the
/// process either). Set a handler that rethrows into a test failure, a log, or std::terminate as
/// fits; an exception escaping the handler terminates the process (it runs in a noexcept path).
#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <new>
#include <utility>

#include "tpl/exceptions.hpp"

namespace tpl {

using unobserved_exception_handler = std::function<void(const aggregate_exception& unobserved)>;

/// \cond TPL_INTERNALS
namespace detail {

struct unobserved_exception_registry {
  std::mutex mutex;  // a plain std::mutex: this is not lock-free code and is never modelled
  unobserved_exception_handler handler;
};

inline unobserved_exception_registry& unobserved_registry() {
  // Never destroyed: a static task released during static destruction (after a function-local
  // registry would already be gone) still reports through it. Built in static storage rather
  // than on the heap, so that no allocation is left over at exit (leak checkers, Relacy's heap).
  // Function-local: safe during static initialisation.
  alignas(unobserved_exception_registry) static unsigned char storage[sizeof(unobserved_exception_registry)];
  static unobserved_exception_registry& registry = *::new (static_cast<void*>(storage)) unobserved_exception_registry();
  return registry;
}

inline void report_to_stderr(const aggregate_exception& unobserved) {
  std::fprintf(stderr, "tpl: a faulted task's exception was never observed: %s\n", unobserved.what());
}

// Called by the last owner of a faulted, unobserved task.
inline void report_unobserved(const aggregate_exception& unobserved) noexcept {
  unobserved_exception_handler handler;
  {
    std::lock_guard lock(unobserved_registry().mutex);
    handler = unobserved_registry().handler;  // a copy: the handler runs outside the lock
  }
  if (handler) {
    handler(unobserved);
  } else {
    report_to_stderr(unobserved);
  }
}

}  // namespace detail
/// \endcond

/// Installs `handler` (empty: back to the default) and returns the previous one.
inline unobserved_exception_handler set_unobserved_exception_handler(unobserved_exception_handler handler) {
  std::lock_guard lock(detail::unobserved_registry().mutex);
  return std::exchange(detail::unobserved_registry().handler, std::move(handler));
}

}  // namespace tpl
