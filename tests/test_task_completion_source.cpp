// task_completion_source: each way to complete, complete-once, options, misuse, abandonment.
#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"

namespace {

using tpl::task;
using tpl::task_completion_source;
using tpl::task_status;

TEST(TaskCompletionSource, TaskWaitsForActivationUntilCompleted) {
  task_completion_source<int> source;
  EXPECT_EQ(source.task().status(), task_status::waiting_for_activation);
  source.set_result(3);
  EXPECT_EQ(source.task().status(), task_status::ran_to_completion);
  EXPECT_EQ(source.task().get(), 3);
}

TEST(TaskCompletionSource, SecondCompletionThrowsAndTryFormsReturnFalse) {
  task_completion_source<int> source;
  EXPECT_TRUE(source.try_set_result(1));
  EXPECT_THROW(source.set_result(2), tpl::invalid_operation);
  EXPECT_THROW(source.set_exception(std::make_exception_ptr(std::runtime_error("x"))), tpl::invalid_operation);
  EXPECT_THROW(source.set_canceled(), tpl::invalid_operation);
  EXPECT_FALSE(source.try_set_result(3));
  EXPECT_FALSE(source.try_set_exception(std::make_exception_ptr(std::runtime_error("x"))));
  EXPECT_FALSE(source.try_set_canceled());
  EXPECT_EQ(source.task().get(), 1);  // the first completion stands
}

TEST(TaskCompletionSource, SetExceptionWithManyKeepsThemAllAndAwaitRethrowsTheFirst) {
  task_completion_source<> source;
  source.set_exception({std::make_exception_ptr(std::runtime_error("first")),
                        std::make_exception_ptr(std::logic_error("second"))});
  EXPECT_EQ(source.task().status(), task_status::faulted);
  try {
    source.task().wait();
    FAIL() << "wait() on a faulted task returned";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 2u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[1]), std::logic_error);
  }
  auto awaiter = [&]() -> task<std::string> {
    try {
      co_await source.task();
    } catch (const std::runtime_error& error) {
      co_return error.what();
    }
    co_return "other";
  };
  EXPECT_EQ(awaiter().get(), "first");
}

TEST(TaskCompletionSource, SetCanceledEndsCanceled) {
  task_completion_source<int> source;
  source.set_canceled();
  EXPECT_TRUE(source.task().is_canceled());
  EXPECT_THROW(source.task().get(), tpl::aggregate_exception);
}

TEST(TaskCompletionSource, MisuseGetsClearErrors) {
  task_completion_source<int> source;
  EXPECT_THROW(source.set_exception(std::exception_ptr{}), std::invalid_argument);
  EXPECT_THROW(source.set_exception(std::vector<std::exception_ptr>{}), std::invalid_argument);
  EXPECT_THROW(source.set_exception(std::vector<std::exception_ptr>{nullptr}), std::invalid_argument);
  EXPECT_FALSE(source.task().is_completed());  // rejected arguments complete nothing
  task_completion_source<int> taken = std::move(source);
  EXPECT_THROW(source.set_result(1), tpl::invalid_operation);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)source.task(), tpl::invalid_operation);
  taken.set_result(1);
  EXPECT_EQ(taken.task().get(), 1);
}

TEST(TaskCompletionSource, DestroyedWithoutCompletingFaultsTheTaskWithBrokenPromise) {
  task<int> orphan;
  {
    task_completion_source<int> source;
    orphan = source.task();
  }
  EXPECT_TRUE(orphan.is_faulted());
  auto aggregate = orphan.exception();
  ASSERT_TRUE(aggregate.has_value());
  EXPECT_THROW(std::rethrow_exception(aggregate->inner_exceptions().at(0)), tpl::broken_promise);
}

TEST(TaskCompletionSource, CompletedFromManyThreadsExactlyOneWins) {
  for (int round = 0; round < 200; ++round) {
    task_completion_source<int> source;
    std::vector<std::thread> completers;
    std::atomic<int> winners{0};
    for (int index = 0; index < 4; ++index) {
      completers.emplace_back([&, index] {
        if (source.try_set_result(index)) winners.fetch_add(1);
      });
    }
    for (auto& completer : completers) completer.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(source.task().status(), task_status::ran_to_completion);
  }
}

TEST(TaskCompletionSource, RunContinuationsAsynchronouslyResumesAwaitersOnThePool) {
  // Completed from a thread outside any pool, the continuations go to the default pool (the
  // completing thread's ambient pool), not inline inside set_result.
  task_completion_source<int> source(tpl::task_creation_options::run_continuations_asynchronously);
  std::promise<bool> resumed_on_default_pool;
  auto body = [&]() -> task<int> {
    int value = co_await source.task();
    resumed_on_default_pool.set_value(tpl::thread_pool::default_pool().current_worker() != nullptr);
    co_return value;
  };
  task<int> awaiting = body();
  std::thread completer([&] { source.set_result(5); });
  completer.join();
  EXPECT_TRUE(resumed_on_default_pool.get_future().get());
  EXPECT_EQ(awaiting.get(), 5);
}

TEST(TaskCompletionSource, WithoutTheOptionAwaitersResumeInsideSetResult) {
  task_completion_source<int> source;
  bool resumed = false;
  auto body = [&]() -> task<> {
    co_await source.task();
    resumed = true;
  };
  task<> awaiting = body();
  source.set_result(1);
  EXPECT_TRUE(resumed);  // before set_result returned
  awaiting.get();
}

}  // namespace
