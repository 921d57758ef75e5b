// The deadlock report (tpl/deadlock_report.hpp) on a plain get(), which no token can end: the
// handler names both tasks and ends the process with status 42, which the test expects. Without
// the report the process would hang until the test's deadline.
#include <cstdio>
#include <cstdlib>
#include <string>

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

}  // namespace
