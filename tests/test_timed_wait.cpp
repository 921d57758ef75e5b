// Timed and cancelable waits (task::wait_for/wait_until/wait(token), wait_all, wait_any):
// .NET's Wait(timeout, token) results, that a waiter who gave up leaves nothing in the task
// (the task completing later runs no node of it: under ASan a left node would be a
// stack-use-after-return), and waits from inside a 1-worker pool's only worker.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/wait_all.hpp"

namespace {

using namespace std::chrono_literals;
using tpl::task;
using tpl::task_completion_source;

// A timed wait that gives up, from a frame that then returns (its node dies with it).
bool give_up_after(const task<int>& awaited, std::chrono::milliseconds timeout) { return awaited.wait_for(timeout); }

TEST(TimedWait, ReturnsFalseOnTimeoutAndTheTaskCompletesLaterWithoutTouchingTheWaiter) {
  task_completion_source<int> source;
  task<int> awaited = source.task();
  EXPECT_FALSE(give_up_after(awaited, 1ms));
  EXPECT_FALSE(give_up_after(awaited, 0ms));  // zero only looks
  source.set_result(3);
  EXPECT_TRUE(awaited.wait_for(0ms));
  EXPECT_TRUE(awaited.wait_until(std::chrono::system_clock::now() - 1h));  // completed wins a past deadline
  EXPECT_EQ(awaited.get(), 3);
}

TEST(TimedWait, ReturnsTrueWhenTheTaskCompletesInTimeAndThrowsItsFaultsAsAnAggregate) {
  task_completion_source<int> source;
  std::thread completer([&] { source.set_exception(std::make_exception_ptr(std::runtime_error("late fault"))); });
  EXPECT_THROW((void)source.task().wait_for(1h), tpl::aggregate_exception);
  completer.join();
}

TEST(TimedWait, NegativeTimeoutIsRefusedAndHugeOnesDoNotOverflow) {
  task<int> done = task<int>::from_result(1);
  EXPECT_THROW((void)done.wait_for(-2ms), std::invalid_argument);
  EXPECT_TRUE(done.wait_for(std::chrono::hours::max()));
  EXPECT_THROW((void)tpl::wait_all_for(std::vector<task<int>>{done}, -1s), std::invalid_argument);
  EXPECT_THROW((void)tpl::wait_any_for(std::vector<task<int>>{done}, -1s), std::invalid_argument);
}

TEST(CancelableWait, CanceledTokenThrowsOperationCanceledAndTheTaskCompletesLater) {
  task_completion_source<int> source;
  tpl::cancellation_token_source stop;
  std::thread canceller([&] { stop.cancel(); });
  try {
    source.task().wait(stop.token());
    FAIL() << "wait(token) returned";
  } catch (const tpl::operation_canceled& canceled) {
    EXPECT_TRUE(canceled.token() == stop.token());
  }
  canceller.join();
  source.set_result(1);
  // A completed task wins over an already canceled token, as .NET's Wait(token) does.
  source.task().wait(stop.token());
  EXPECT_TRUE(source.task().wait_for(1ms, stop.token()));
}

TEST(CancelableWait, TimedWaitWithATokenReportsWhicheverCameFirst) {
  task_completion_source<int> source;
  tpl::cancellation_token_source never;
  EXPECT_FALSE(source.task().wait_for(1ms, never.token()));
  tpl::cancellation_token_source already;
  already.cancel();
  EXPECT_THROW((void)source.task().wait_for(1h, already.token()), tpl::operation_canceled);
  source.set_result(2);
}

TEST(WaitAll, ThrowsEveryFaultAndEveryCancellationInInputOrder) {
  std::vector<task<int>> tasks{task<int>::from_result(1), task<int>::from_canceled(),
                               task<int>::from_exception(std::make_exception_ptr(std::runtime_error("fault")))};
  try {
    tpl::wait_all(tasks);
    FAIL() << "wait_all returned";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 2u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), tpl::task_canceled);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[1]), std::runtime_error);
  }
  tpl::wait_all(std::vector<task<>>{});  // nothing to wait for
}

TEST(WaitAll, TimesOutWhileOneTaskRunsAndLeavesNothingInIt) {
  task_completion_source<int> pending;
  std::vector<task<int>> tasks{task<int>::from_result(1), pending.task()};
  EXPECT_FALSE(tpl::wait_all_for(tasks, 2ms));
  pending.set_result(2);
  EXPECT_TRUE(tpl::wait_all_for(tasks, 1h));
}

TEST(WaitAny, ReturnsTheIndexOfTheFirstToCompleteWithoutThrowingItsFault) {
  task_completion_source<int> pending;
  std::vector<task<int>> tasks{pending.task(), task<int>::from_exception(std::make_exception_ptr(std::runtime_error("x")))};
  EXPECT_EQ(tpl::wait_any(tasks), 1u);
  (void)tasks[1].exception();
  std::thread completer([&] { pending.set_result(5); });
  EXPECT_EQ(tpl::wait_any(std::vector<task<int>>{pending.task()}), 0u);
  completer.join();
  EXPECT_THROW((void)tpl::wait_any(std::vector<task<int>>{}), std::invalid_argument);
}

TEST(WaitAny, TimeoutAndCancellationGiveUpAndRemoveTheRegistrations) {
  task_completion_source<int> first;
  task_completion_source<int> second;
  std::vector<task<int>> tasks{first.task(), second.task()};
  EXPECT_EQ(tpl::wait_any_for(tasks, 2ms), std::nullopt);
  tpl::cancellation_token_source stop;
  stop.cancel();
  EXPECT_THROW((void)tpl::wait_any(tasks, stop.token()), tpl::operation_canceled);
  second.set_result(2);
  first.set_result(1);
  EXPECT_EQ(tpl::wait_any_for(tasks, 1h), std::optional<std::size_t>(0));
}

TEST(WaitOnOneWorkerPool, TimedAndCancelableWaitsFromTheOnlyWorkerDoNotDeadlock) {
  tpl::thread_pool pool(1);
  task<int> outcome = tpl::run(pool, [&pool] {
    task_completion_source<int> never;
    const bool gave_up = never.task().wait_for(2ms);
    never.set_result(0);
    // The awaited task is queued behind this worker: the wait runs it inline or a spare does.
    task<int> inner = tpl::run(pool, [] { return 20; });
    const bool inner_done = inner.wait_for(1h);
    // wait_all over tasks queued on this very worker.
    std::vector<task<int>> queued{tpl::run(pool, [] { return 1; }), tpl::run(pool, [] { return 2; })};
    tpl::wait_all(queued);
    const std::size_t first = tpl::wait_any(queued);
    tpl::cancellation_token_source stop;
    task_completion_source<> pending;
    std::thread canceller([&] { stop.cancel(); });
    bool canceled = false;
    try {
      pending.task().wait(stop.token());
    } catch (const tpl::operation_canceled&) {
      canceled = true;
    }
    canceller.join();
    pending.set_result();
    return (gave_up ? 1000 : 0) + (inner_done ? inner.get() : 0) + queued[first].get() * 0 + (canceled ? 1 : 0);
  });
  EXPECT_EQ(outcome.get(), 21);
}

// Issue 28, item 6: .NET's WaitAll / WaitAny(tasks, token) check the token first, so an
// already-canceled token throws even when every task is complete.
TEST(NetDivergences, WaitAllWithACanceledTokenThrowsEvenWhenTheTasksAreComplete) {
  tpl::cancellation_token_source source;
  source.cancel();
  std::vector<task<int>> done{task<int>::from_result(1), task<int>::from_result(2)};
  EXPECT_THROW(tpl::wait_all(done, source.token()), tpl::operation_canceled);
  EXPECT_THROW((void)tpl::wait_all_for(done, 1s, source.token()), tpl::operation_canceled);
}
TEST(NetDivergences, WaitAnyWithACanceledTokenThrowsEvenWhenATaskIsComplete) {
  tpl::cancellation_token_source source;
  source.cancel();
  std::vector<task<int>> done{task<int>::from_result(1)};
  EXPECT_THROW((void)tpl::wait_any(done, source.token()), tpl::operation_canceled);
}
// Task.Wait(token) on a canceled task with a canceled token: the token's
// OperationCanceledException, ahead of the aggregate. A faulted task still gives the aggregate.
TEST(NetDivergences, WaitWithACanceledTokenOnACanceledTaskThrowsOperationCanceled) {
  tpl::cancellation_token_source source;
  source.cancel();
  const task<int> canceled = task<int>::from_canceled(source.token());
  EXPECT_THROW(canceled.wait(source.token()), tpl::operation_canceled);
  try {
    canceled.wait(source.token());
  } catch (const tpl::aggregate_exception&) {
    ADD_FAILURE() << "an aggregate_exception, not operation_canceled";
  } catch (const tpl::operation_canceled&) {
  }
  const task<int> faulted = task<int>::from_exception(std::make_exception_ptr(std::runtime_error("x")));
  EXPECT_THROW(faulted.wait(source.token()), tpl::aggregate_exception);
}

}  // namespace
