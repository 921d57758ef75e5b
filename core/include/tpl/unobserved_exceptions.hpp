/// \file
/// .NET's TaskScheduler.UnobservedTaskException: a task that faulted and whose exception nobody
/// looked at (no co_await, get(), wait() or exception() on it) reports that exception, when its
/// last handle goes away, to the handler installed with set_unobserved_exception_handler.
///
/// As in .NET since 4.5, nothing happens by default: no output, no termination. Install a
/// handler to log them, fail a test, or std::terminate as fits. While tpl::diagnostics recording
/// is on (diagnostics::enable()) and no handler is installed, each is written to stderr. The
/// handler runs on whichever thread drops the last handle; an exception escaping it terminates
/// the process (it runs in a noexcept path). A canceled task is never reported, and so neither
/// is a delay whose timer was dropped at process exit (it ends canceled).
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
  bool print_without_handler = false;  // diagnostics recording is on (diagnostics::enable())
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
  bool print = false;
  {
    std::lock_guard lock(unobserved_registry().mutex);
    handler = unobserved_registry().handler;  // a copy: the handler runs outside the lock
    print = unobserved_registry().print_without_handler;
  }
  if (handler) {
    handler(unobserved);
  } else if (print) {
    report_to_stderr(unobserved);
  }
}

// Whether anyone would hear of an unobserved exception (a handler, or diagnostics printing).
[[nodiscard]] inline bool unobserved_exceptions_are_heard() noexcept {
  std::lock_guard lock(unobserved_registry().mutex);
  return unobserved_registry().handler != nullptr || unobserved_registry().print_without_handler;
}

// diagnostics::enable() / disable(): print unobserved exceptions when no handler is installed.
inline void print_unobserved_without_handler(bool print) noexcept {
  std::lock_guard lock(unobserved_registry().mutex);
  unobserved_registry().print_without_handler = print;
}

}  // namespace detail
/// \endcond

/// Installs `handler` (empty: back to the default, which says nothing unless diagnostics
/// recording is on) and returns the previous one.
inline unobserved_exception_handler set_unobserved_exception_handler(unobserved_exception_handler handler) {
  std::lock_guard lock(detail::unobserved_registry().mutex);
  return std::exchange(detail::unobserved_registry().handler, std::move(handler));
}

}  // namespace tpl
