// Process-level regressions (issue 9): each scenario runs in a child process of its own
// (tests/scenarios/), under a deadline that only detects a hang. Each failed (hung, crashed or
// aborted) before its fix; docs/testing.md quotes how.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.hpp"

#ifndef TPL_SCENARIOS_PATH
#error "TPL_SCENARIOS_PATH must name the tpl_scenarios program"
#endif

namespace {

using namespace std::chrono_literals;

tpl_test::child_outcome run_scenario(const std::string& name, std::vector<std::string> arguments = {},
                                     tpl_test::child_limits limits = {}) {
  std::vector<std::string> command{TPL_SCENARIOS_PATH, name};
  command.insert(command.end(), arguments.begin(), arguments.end());
  return tpl_test::run_child(command, 300s, limits);
}

void expect_clean_exit(const tpl_test::child_outcome& outcome, int code = 0) {
  EXPECT_TRUE(outcome.exited && outcome.exit_code == code) << outcome.describe();
}

// Bug 1: the timer thread destroyed its batch of due callbacks under its lock.
// tpl::diagnostics' deadlock report on a get() that nothing can end (1 worker, no spares): the
// scenario's handler exits with 42 when both tasks are named; a missing report hangs it.
TEST(ProcessScenarios, DeadlockOnGetIsReportedInsteadOfHangingSilently) {
  expect_clean_exit(run_scenario("deadlock_report_on_get"), 42);
}

// Issue 29, defect 2: the report of a wait parked by the stack guard ran on the nearly used-up
// stack (SIGSEGV in the default handler's fprintf). 16 KiB thread stacks; not under a sanitizer,
// whose runtime needs more than 16 KiB of stack per thread for itself.
TEST(ProcessScenarios, DeadlockReportOnA16KiBStackWithTheDefaultHandler) {
#if TPL_UNDER_SANITIZER
  GTEST_SKIP() << "sanitizer runtimes need more than 16 KiB of stack per thread";
#else
  expect_clean_exit(run_scenario("deadlock_report_on_a_small_stack", {"default"}), 42);
#endif
}
TEST(ProcessScenarios, DeadlockReportOnA16KiBStackWithAHandlerThatNeedsStack) {
#if TPL_UNDER_SANITIZER
  GTEST_SKIP() << "sanitizer runtimes need more than 16 KiB of stack per thread";
#else
  expect_clean_exit(run_scenario("deadlock_report_on_a_small_stack", {"handler"}), 42);
#endif
}

// Issue 28, item 4: a program using when_any(work, delay(10 s)) ends with nothing on stderr,
// with or without an unobserved-exception handler (the delay dropped at exit ends canceled), and
// an unobserved fault without a handler is silent, as in .NET.
std::string stderr_of_timeout_pattern(const std::string& mode) {
  const std::string path = ::testing::TempDir() + "tpl_timeout_pattern_" + mode + ".txt";
  const tpl_test::child_outcome outcome = run_scenario("timeout_pattern_then_exit", {path, mode});
  EXPECT_TRUE(outcome.exited && outcome.exit_code == 0) << outcome.describe();
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::remove(path.c_str());
  return text.str();
}
TEST(ProcessScenarios, TimeoutPatternEndsWithoutOutputWithTheDefaultHandler) {
  EXPECT_EQ(stderr_of_timeout_pattern("default"), "");
}
TEST(ProcessScenarios, TimeoutPatternNeverCallsTheUnobservedHandlerAtExit) {
  EXPECT_EQ(stderr_of_timeout_pattern("handler"), "");
}
TEST(ProcessScenarios, UnobservedFaultWithoutAHandlerIsSilent) {
  EXPECT_EQ(stderr_of_timeout_pattern("unobserved"), "");
}

TEST(ProcessScenarios, DelaysCanceledAtExpiryNeverHangTheTimer) {
  expect_clean_exit(run_scenario("timer_cancel_at_expiry"));
}

// Issue 30: timers live in the reactor; tpl::io attaching its driver while a worker waits for a
// timer moves that worker into the driver's wait.
TEST(ProcessScenarios, IoStartingWhileAWorkerWaitsForATimerIsPolled) {
  expect_clean_exit(run_scenario("io_starts_while_a_worker_waits_for_a_timer"));
}

// Bug 1: a failed allocation in schedule() left an orphan deadline entry.
// Not under ThreadSanitizer: the injection replaces the global operator new, which TSan's
// runtime defines itself (ASan's lets a program replace it).
TEST(ProcessScenarios, TimerScheduleKeepsItsMapsInStepWhenAllocationFails) {
#if TPL_UNDER_TSAN
  GTEST_SKIP() << "allocation-failure injection needs its own operator new";
#else
  expect_clean_exit(run_scenario("timer_schedule_out_of_memory"));
#endif
}

// Issue 10: cancel() set its flag before allocating, so a failed allocation stranded every
// callback. Not under ThreadSanitizer, as above.
TEST(ProcessScenarios, CancelUnderAllocationFailureRunsEveryCallbackOrNone) {
#if TPL_UNDER_TSAN
  GTEST_SKIP() << "allocation-failure injection needs its own operator new";
#else
  expect_clean_exit(run_scenario("cancel_out_of_memory"));
#endif
}

// Issue 10: a linked source's cancel, which nobody retries, was lost when it could not
// allocate. Not under ThreadSanitizer, as above.
TEST(ProcessScenarios, LinkedCancelUnderAllocationFailureIsNeverLost) {
#if TPL_UNDER_TSAN
  GTEST_SKIP() << "allocation-failure injection needs its own operator new";
#else
  expect_clean_exit(run_scenario("linked_cancel_out_of_memory"));
#endif
}

// Bug 2: a satisfied wait could not return past unrelated work nested on its stack.
TEST(ProcessScenarios, ASatisfiedWaitIsNotHeldByUnrelatedWork) {
  expect_clean_exit(run_scenario("wait_does_not_nest_unrelated_work"));
}

// Bug 3: a blocked waiter swallowed the wake-up meant for an idle worker.
TEST(ProcessScenarios, NestedGetsOnTwoWorkersNeverStall) {
  expect_clean_exit(run_scenario("nested_gets_two_workers"));
}

// Bug 4: process exit with a pool task blocked on a pending delay.
TEST(ProcessScenarios, ExitWithATaskBlockedOnADelay) {
  expect_clean_exit(run_scenario("exit_with_task_blocked_on_delay"));
}

// Bug 4: std::exit() from a default-pool task.
TEST(ProcessScenarios, StdExitFromADefaultPoolTask) { expect_clean_exit(run_scenario("std_exit_from_pool_task"), 7); }

// Bug 4: a static task with an unobserved fault released at static destruction (use after
// free under ASan before the fix).
TEST(ProcessScenarios, StaticTaskWithAnUnobservedFault) {
  expect_clean_exit(run_scenario("static_task_with_unobserved_fault"));
}

// Bug 5: nesting far deeper than one stack, with the default stack and with 256 KiB stacks.
TEST(ProcessScenarios, DeepNestedGets) { expect_clean_exit(run_scenario("deep_nested_gets", {"100000"})); }
TEST(ProcessScenarios, DeepForkJoin) { expect_clean_exit(run_scenario("deep_fork_join", {"100000"})); }
TEST(ProcessScenarios, DeepNestedGetsWithSmallStacks) {
  expect_clean_exit(run_scenario("deep_nested_gets", {"10000"}, {.stack_bytes = 256 * 1024}));
}
TEST(ProcessScenarios, DeepForkJoinWithSmallStacks) {
  expect_clean_exit(run_scenario("deep_fork_join", {"10000"}, {.stack_bytes = 256 * 1024}));
}

// Bug 6: the default pool cannot start its threads. Not under a sanitizer: their runtimes
// reserve terabytes of address space, so the address-space limit this uses would stop them.
TEST(ProcessScenarios, DefaultPoolThatCannotStartThrowsSystemError) {
#if TPL_UNDER_SANITIZER
  GTEST_SKIP() << "needs an address-space limit, which sanitizer runtimes do not survive";
#else
  expect_clean_exit(run_scenario("default_pool_cannot_start"));
#endif
}

}  // namespace
