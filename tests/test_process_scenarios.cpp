// Process-level regressions (issue 9): each scenario runs in a child process of its own
// (tests/scenarios/), under a deadline that only detects a hang.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

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
  return tpl_test::run_child(command, 240s, limits);
}

// Bug 1: the timer thread destroyed its batch of due callbacks under its lock.
TEST(ProcessScenarios, DelaysCanceledAtExpiryNeverHangTheTimer) {
  const auto outcome = run_scenario("timer_cancel_at_expiry");
  EXPECT_TRUE(outcome.exited && outcome.exit_code == 0) << outcome.describe();
}

}  // namespace
