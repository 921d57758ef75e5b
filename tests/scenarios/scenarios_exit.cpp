// Process exit and start-up (issue 9, bugs 4 and 6): the shutdown order of the timer, the
// default pool and the unobserved-exception registry, and a default pool that cannot start.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <stdexcept>
#include <string>
#include <system_error>

#include "scenarios.hpp"
#include "tpl/delay.hpp"
#include "tpl/run.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/unobserved_exceptions.hpp"
#include "tpl/when_any.hpp"

namespace {

using namespace std::chrono_literals;

// A default-pool task blocked on a pending delay when main returns: exit must not hang. The
// timer's exit handler drops the pending timer (the delay ends canceled), which ends the task,
// and then the default pool drains.
TPL_SCENARIO("exit_with_task_blocked_on_delay") {
  static std::latch started(1);  // built before the default pool: destroyed after it drained
  (void)tpl::run([] {
    started.count_down();
    tpl::delay(1h).wait();
  });
  started.wait();
  std::printf("main returns while a pool task waits for a one-hour delay\n");
  return 0;
}

// std::exit() called from a default-pool task: the exit handlers run on that worker; the
// default pool must not try to wait for itself.
TPL_SCENARIO("std_exit_from_pool_task") {
  tpl::task_completion_source<> never;
  (void)tpl::run([] {
    std::fflush(stdout);
    std::exit(7);
  });
  never.task().wait();  // never completes: the process ends from the task
  return 1;
}

// A static task holding an unobserved fault is released during static destruction, after
// anything created later than it was destroyed: the unobserved-exception report must still work.
tpl::task<> static_fault;

TPL_SCENARIO("static_task_with_unobserved_fault") {
  tpl::task_completion_source<> source;
  static_fault = source.task();
  source.set_exception(std::make_exception_ptr(std::runtime_error("released at static destruction")));
  // Creates the handler registry now, after static_fault, so a function-local registry would be
  // destroyed first; the handler's captured state lives on the heap (too big to store inline),
  // so using a destroyed handler is a heap use after free that ASan reports.
  const std::string banner(200, '=');
  tpl::set_unobserved_exception_handler([banner](const tpl::aggregate_exception& unobserved) {
    std::printf("%.10s reported at static destruction: %s\n", banner.c_str(), unobserved.what());
  });
  return 0;
}

// Bug 6: the default pool cannot start its threads (address space too small for a thread
// stack): run() throws std::system_error instead of terminating.
TPL_SCENARIO("default_pool_cannot_start") {
  std::ifstream statm("/proc/self/statm");
  unsigned long pages = 0;
  statm >> pages;
  const rlim_t now_bytes = static_cast<rlim_t>(pages) * 4096;
  rlimit limit{now_bytes + (2u << 20), now_bytes + (2u << 20)};  // 2 MiB more: no 8 MiB stack fits
  if (setrlimit(RLIMIT_AS, &limit) != 0) return 3;
  try {
    (void)tpl::run([] {});
  } catch (const std::system_error& error) {
    std::printf("run() threw std::system_error: %s\n", error.what());
    return 0;
  }
  std::printf("run() did not throw\n");
  return 1;
}

// Issue 28, item 4: .NET's timeout pattern, when_any(work, delay(10 s)), leaves the losing delay
// pending; at exit its timer is dropped. Before, that faulted the delay with broken_promise and
// every run printed "a faulted task's exception was never observed" for a completion source
// the user never made. argv[0]: a file that becomes this process's stderr (the test checks it
// stays empty); argv[1]: "handler" installs an unobserved-exception handler that writes to it
// (it must not be called: the dropped delay is not a fault), "default" installs none, and
// "unobserved" also drops a really faulted task unobserved without a handler (.NET: silent).
TPL_SCENARIO("timeout_pattern_then_exit") {
  if (argc < 2) return 2;
  std::FILE* redirected = std::freopen(argv[0], "w", stderr);
  if (redirected == nullptr) return 3;
  const std::string mode = argv[1];
  if (mode == "handler") {
    tpl::set_unobserved_exception_handler([](const tpl::aggregate_exception& unobserved) {
      std::fprintf(stderr, "handler called: %s\n", unobserved.what());
    });
  }
  auto work = tpl::run([] { return 5; });
  auto winner = tpl::when_any(work, tpl::delay(10s)).get();
  if (winner.index != 0) return 4;  // the work won: the delay is still pending
  if (mode == "unobserved") {
    // The handle is dropped at once: nobody waits (a wait_for(0ms) here could run the task
    // inline, as .NET's Wait does, and then throw its fault out of main).
    (void)tpl::run([]() -> int { throw std::runtime_error("nobody looks at this"); });
  }
  std::printf("main returns with a ten-second delay pending\n");
  return 0;
}

}  // namespace
