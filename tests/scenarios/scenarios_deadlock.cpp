// The deadlock report (tpl/deadlock_report.hpp) on a plain get(), which no token can end: the
// handler names both tasks and ends the process with status 42, which the test expects. Without
// the report the process would hang until the test's deadline.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <pthread.h>
#include <unistd.h>

#include "scenarios.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/deadlock_report.hpp"
#include "tpl/diagnostics.hpp"
#include "tpl/run.hpp"
#include "tpl/thread_pool.hpp"

namespace {

TPL_SCENARIO("deadlock_report_on_get") {
  tpl::diagnostics::enable();
  tpl::diagnostics::set_deadlock_handler([](const tpl::diagnostics::deadlock_report& report) {
    const bool named = report.awaited && report.stuck &&
                       report.awaited->origin == tpl::diagnostics::task_origin::continuation &&
                       report.stuck->origin == tpl::diagnostics::task_origin::run;
    std::printf("%s\n", report.message.c_str());
    std::fflush(stdout);
    std::_Exit(named ? 42 : 3);  // the wait can never end: leave from here
  });
  tpl::thread_pool::options settings;
  settings.worker_count = 1;
  settings.allow_spare_threads = false;
  tpl::thread_pool pool(settings);
  auto outer = tpl::run(pool, [&pool] {
    auto queued = tpl::run(pool, [] { return 7; });
    auto needs_it = tpl::continue_with(queued, [](const tpl::task<int>& done) { return done.get(); });
    return needs_it.get();  // blocks the only worker; `queued` waits in its deque
  });
  outer.wait();
  return 1;  // not reached: the report ends the process
}

// Issue 29, defect 2: the stack guard parks a worker whose stack is nearly used up; the report
// then ran on that same stack, and the default handler's fprintf (~8 KiB on an unbuffered
// stderr) died with SIGSEGV. Every new thread here gets a 16 KiB stack; a 1-worker pool without
// spares nests get()s until its stack guard stops running them inline, so the last wait parks
// with about 4 KiB left. argv[0]: "default" (the default handler: the scenario reads stderr
// through a pipe and exits 42 once the report arrives) or "handler" (a handler that itself
// needs 64 KiB of stack, exits 42).
int nested_gets_on(tpl::thread_pool& pool, int depth) {
  if (depth == 0) return 0;
  return tpl::run(pool, [&pool, depth] { return nested_gets_on(pool, depth - 1); }).get() + 1;
}

TPL_SCENARIO("deadlock_report_on_a_small_stack") {
  const std::string mode = argc > 0 ? argv[0] : "default";
  pthread_attr_t small;
  if (pthread_attr_init(&small) != 0 || pthread_attr_setstacksize(&small, 16 * 1024) != 0 ||
      pthread_setattr_default_np(&small) != 0) {
    return 4;
  }
  int report_pipe[2] = {-1, -1};
  if (mode == "handler") {
    tpl::diagnostics::set_deadlock_handler([](const tpl::diagnostics::deadlock_report& report) {
      char buffer[64 * 1024];  // a handler is free to use stack
      std::snprintf(buffer, sizeof buffer, "handler saw: %s\n", report.message.c_str());
      std::fputs(buffer, stdout);
      std::fflush(stdout);
      std::_Exit(report.message.find("deadlock") != std::string::npos ? 42 : 3);
    });
  } else {
    if (pipe(report_pipe) != 0 || dup2(report_pipe[1], 2) < 0) return 5;
  }
  tpl::thread_pool::options settings;
  settings.worker_count = 1;
  settings.allow_spare_threads = false;
  tpl::thread_pool pool(settings);
  auto outer = tpl::run(pool, [&pool] { return nested_gets_on(pool, 1000); });
  if (mode == "handler") {
    outer.wait();
    return 1;  // not reached: the handler ends the process
  }
  // The default handler writes the report to stderr, now the pipe: wait for it there.
  std::string seen;
  char chunk[512];
  for (;;) {
    const ssize_t got = read(report_pipe[0], chunk, sizeof chunk);
    if (got <= 0) return 6;
    seen.append(chunk, static_cast<std::size_t>(got));
    if (seen.find("probable deadlock") != std::string::npos && seen.find('\n') != std::string::npos) {
      std::printf("stderr had: %s", seen.c_str());
      std::fflush(stdout);
      std::_Exit(42);
    }
  }
}

}  // namespace
