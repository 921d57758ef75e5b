// continue_with: every option against every antecedent outcome, where the continuation runs,
// statuses, exceptions, misuse.
#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "tpl/continue_with.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "support/worker_blocker.hpp"

namespace {

using tpl::continuation_options;
using tpl::task;
using tpl::task_completion_source;
using tpl::task_status;

task<int> antecedent_with(task_status outcome) {
  switch (outcome) {
    case task_status::ran_to_completion:
      return task<int>::from_result(1);
    case task_status::faulted:
      return task<int>::from_exception(std::make_exception_ptr(std::runtime_error("antecedent")));
    default:
      return task<int>::from_canceled();
  }
}

// (option, antecedent outcome, whether the continuation runs)
using option_case = std::tuple<continuation_options, task_status, bool>;

class ContinuationOptions : public ::testing::TestWithParam<option_case> {};

TEST_P(ContinuationOptions, RunsExactlyWhenTheConditionHoldsElseEndsCanceled) {
  const auto [options, outcome, runs] = GetParam();
  tpl::thread_pool pool(1);
  task<int> antecedent = antecedent_with(outcome);
  std::atomic<int> calls{0};
  task<task_status> continuation = tpl::continue_with(
      antecedent, pool,
      [&calls](const task<int>& completed) {
        calls.fetch_add(1);
        if (completed.is_faulted()) (void)completed.exception();  // observe it
        return completed.status();
      },
      options);
  if (runs) {
    EXPECT_EQ(continuation.get(), outcome);  // fn saw the antecedent, completed
    EXPECT_EQ(calls.load(), 1);
  } else {
    EXPECT_THROW(continuation.wait(), tpl::aggregate_exception);
    EXPECT_EQ(continuation.status(), task_status::canceled);
    EXPECT_EQ(calls.load(), 0);
    if (outcome == task_status::faulted) (void)antecedent.exception();
  }
}

constexpr auto ran = task_status::ran_to_completion;
constexpr auto faulted = task_status::faulted;
constexpr auto canceled = task_status::canceled;

INSTANTIATE_TEST_SUITE_P(
    EveryOptionEveryOutcome, ContinuationOptions,
    ::testing::Values(
        option_case{continuation_options::none, ran, true}, option_case{continuation_options::none, faulted, true},
        option_case{continuation_options::none, canceled, true},
        option_case{continuation_options::only_on_ran_to_completion, ran, true},
        option_case{continuation_options::only_on_ran_to_completion, faulted, false},
        option_case{continuation_options::only_on_ran_to_completion, canceled, false},
        option_case{continuation_options::only_on_faulted, ran, false},
        option_case{continuation_options::only_on_faulted, faulted, true},
        option_case{continuation_options::only_on_faulted, canceled, false},
        option_case{continuation_options::only_on_canceled, ran, false},
        option_case{continuation_options::only_on_canceled, faulted, false},
        option_case{continuation_options::only_on_canceled, canceled, true},
        option_case{continuation_options::not_on_ran_to_completion, ran, false},
        option_case{continuation_options::not_on_ran_to_completion, faulted, true},
        option_case{continuation_options::not_on_ran_to_completion, canceled, true},
        option_case{continuation_options::not_on_faulted, ran, true},
        option_case{continuation_options::not_on_faulted, faulted, false},
        option_case{continuation_options::not_on_faulted, canceled, true},
        option_case{continuation_options::not_on_canceled, ran, true},
        option_case{continuation_options::not_on_canceled, faulted, true},
        option_case{continuation_options::not_on_canceled, canceled, false},
        option_case{continuation_options::only_on_faulted | continuation_options::execute_synchronously, faulted, true},
        option_case{continuation_options::only_on_faulted | continuation_options::execute_synchronously, ran, false}));

TEST(ContinueWith, ExecuteSynchronouslyRunsOnTheCompletingThread) {
  tpl::thread_pool pool(1);
  task_completion_source<int> source;
  std::thread::id ran_on;
  task<int> continuation = tpl::continue_with(
      source.task(), pool,
      [&ran_on](const task<int>& completed) {
        ran_on = std::this_thread::get_id();
        return completed.get() + 1;
      },
      continuation_options::execute_synchronously);
  EXPECT_EQ(continuation.status(), task_status::waiting_for_activation);
  std::thread completer([&] { source.set_result(1); });
  const auto completer_id = completer.get_id();
  completer.join();
  EXPECT_EQ(continuation.status(), task_status::ran_to_completion);  // it ran inside set_result
  EXPECT_EQ(ran_on, completer_id);
  EXPECT_EQ(continuation.get(), 2);
}

TEST(ContinueWith, ExecuteSynchronouslyOnACompletedAntecedentRunsOnTheCaller) {
  tpl::thread_pool pool(1);
  std::thread::id ran_on;
  auto continuation = tpl::continue_with(
      task<int>::from_result(1), pool, [&ran_on](const task<int>&) { ran_on = std::this_thread::get_id(); },
      continuation_options::execute_synchronously);
  EXPECT_TRUE(continuation.is_completed());
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(ContinueWith, WithoutExecuteSynchronouslyRunsOnThePool) {
  tpl::thread_pool pool(1);
  task_completion_source<int> source;
  task<bool> on_worker =
      tpl::continue_with(source.task(), pool, [&pool](const task<int>&) { return pool.current_worker() != nullptr; });
  source.set_result(1);
  EXPECT_TRUE(on_worker.get());
}

TEST(ContinueWith, StatusIsWaitingToRunWhileQueuedBehindOtherWork) {
  tpl::thread_pool pool(1);
  tpl_test::worker_blocker blocker(pool);
  auto continuation = tpl::continue_with(task<int>::from_result(1), pool, [](const task<int>&) {});
  EXPECT_EQ(continuation.status(), task_status::waiting_to_run);
  blocker.release();
  continuation.wait();
  EXPECT_EQ(continuation.status(), task_status::ran_to_completion);
}

TEST(ContinueWith, ExceptionFromTheContinuationFaultsItsTask) {
  auto continuation = tpl::continue_with(task<int>::from_result(1), [](const task<int>&) -> int {
    throw std::domain_error("in continuation");
  });
  EXPECT_THROW(continuation.get(), tpl::aggregate_exception);
  EXPECT_TRUE(continuation.is_faulted());
}

TEST(ContinueWith, ChainsAndAwaits) {
  task_completion_source<int> source;
  auto doubled = tpl::continue_with(source.task(), [](const task<int>& completed) { return completed.get() * 2; });
  auto plus_one = tpl::continue_with(doubled, [](const task<int>& completed) { return completed.get() + 1; });
  auto awaiter = [&]() -> task<int> { co_return co_await plus_one; };
  task<int> result = awaiter();
  source.set_result(20);
  EXPECT_EQ(result.get(), 41);
}

TEST(ContinueWith, MisuseGetsClearErrors) {
  task<int> empty;
  EXPECT_THROW((void)tpl::continue_with(empty, [](const task<int>&) {}), tpl::invalid_operation);
  std::function<void(const task<int>&)> null_function;
  EXPECT_THROW((void)tpl::continue_with(task<int>::from_result(1), null_function), std::invalid_argument);
  EXPECT_THROW((void)tpl::continue_with(task<int>::from_result(1), [](const task<int>&) {},
                                  continuation_options::not_on_ran_to_completion | continuation_options::only_on_ran_to_completion),
               std::invalid_argument);
}

}  // namespace
