// value_task<T> and manual_reset_value_task_source<T>: the three things a value_task holds, each
// way to consume it, reuse of a source across operations, and every misuse the docs promise an
// invalid_operation for (value_task.hpp, manual_reset_value_task_source.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "tpl/manual_reset_value_task_source.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/value_task.hpp"

namespace {

using tpl::invalid_operation;
using tpl::manual_reset_value_task_source;
using tpl::task;
using tpl::value_task;

// Awaits `operation` and returns what it gave, or the message of what it threw.
task<std::string> await_and_describe(value_task<int> operation) {
  try {
    const int value = co_await operation;
    co_return std::to_string(value);
  } catch (const std::exception& error) {
    co_return std::string("threw: ") + error.what();
  }
}

TEST(ValueTask, FromResultIsCompletedAndAwaitsToItsValue) {
  value_task<int> operation = value_task<int>::from_result(7);
  EXPECT_TRUE(operation.is_completed_successfully());
  EXPECT_EQ(await_and_describe(std::move(operation)).get(), "7");
  EXPECT_FALSE(operation.valid());  // moved into the coroutine: consumed here
}

TEST(ValueTask, AwaitingAnLvalueConsumesItAndASecondAwaitThrows) {
  auto twice = []() -> task<int> {
    value_task<int> operation = value_task<int>::from_result(4);
    const int first = co_await operation;
    EXPECT_FALSE(operation.valid());
    try {
      (void)co_await operation;
    } catch (const invalid_operation&) {
      co_return first;
    }
    co_return -1;
  };
  EXPECT_EQ(twice().get(), 4);
}

TEST(ValueTask, ConsumedValueTaskRefusesEveryUse) {
  value_task<int> operation = value_task<int>::from_result(1);
  EXPECT_EQ(std::move(operation).get(), 1);
  EXPECT_THROW((void)std::move(operation).get(), invalid_operation);
  EXPECT_THROW((void)std::move(operation).as_task(), invalid_operation);
  EXPECT_THROW((void)operation.is_completed(), invalid_operation);
}

TEST(ValueTask, VoidCompletedAwaits) {
  auto run = []() -> task<int> {
    co_await value_task<>::completed();
    co_return 1;
  };
  EXPECT_EQ(run().get(), 1);
}

TEST(ValueTask, WrapsATaskAndResumesWhenItCompletes) {
  tpl::task_completion_source<int> source;
  task<std::string> awaiting = await_and_describe(value_task<int>(source.task()));
  EXPECT_FALSE(awaiting.is_completed());
  source.set_result(12);
  EXPECT_EQ(awaiting.get(), "12");
}

TEST(ValueTask, WrappedFaultedTaskRethrowsItsException) {
  auto faulted = task<int>::from_exception(std::make_exception_ptr(std::runtime_error("boom")));
  EXPECT_EQ(await_and_describe(value_task<int>(faulted)).get(), "threw: boom");
  EXPECT_THROW(value_task<int>(task<int>()), invalid_operation);
}

TEST(ValueTask, AsTaskOfAnInlineResultIsACompletedTask) {
  task<int> shared = value_task<int>::from_result(3).as_task();
  EXPECT_EQ(shared.get(), 3);
  EXPECT_EQ(shared.get(), 3);  // a task may be observed any number of times
}

TEST(ManualResetValueTaskSource, AwaiterSuspendsAndResumesOnTheCompletingCall) {
  manual_reset_value_task_source<int> source;
  task<std::string> awaiting = await_and_describe(source.task());
  EXPECT_FALSE(awaiting.is_completed());
  source.set_result(5);
  EXPECT_TRUE(awaiting.is_completed());  // resumed inside set_result, on this thread
  EXPECT_EQ(awaiting.get(), "5");
}

TEST(ManualResetValueTaskSource, CompletedBeforeTheAwaitDoesNotSuspend) {
  manual_reset_value_task_source<int> source;
  value_task<int> operation = source.task();
  source.set_result(9);
  EXPECT_TRUE(operation.is_completed_successfully());
  EXPECT_EQ(await_and_describe(std::move(operation)).get(), "9");
}

TEST(ManualResetValueTaskSource, ReusedAcrossOperationsWithANewVersionEach) {
  manual_reset_value_task_source<int> source;
  for (int round = 0; round < 5; ++round) {
    const std::uint64_t version = source.version();
    task<std::string> awaiting = await_and_describe(source.task());
    source.set_result(round);
    EXPECT_EQ(awaiting.get(), std::to_string(round));
    source.reset();
    EXPECT_EQ(source.version(), version + 1);
  }
}

TEST(ManualResetValueTaskSource, StaleTokenAfterResetThrowsInvalidOperation) {
  manual_reset_value_task_source<int> source;
  const std::uint64_t old_version = source.version();
  value_task<int> first = source.task();
  source.set_result(1);
  EXPECT_EQ(std::move(first).get(), 1);
  source.reset();
  source.set_result(2);  // the next operation completes with another value
  value_task<int> stale(source, old_version);
  EXPECT_THROW((void)stale.is_completed(), invalid_operation);
  EXPECT_EQ(await_and_describe(std::move(stale)).get().rfind("threw: tpl::value_task: the source was reset", 0), 0u);
  EXPECT_EQ(std::move(source.task()).get(), 2);  // the current operation is untouched
}

TEST(ManualResetValueTaskSource, SecondAwaiterOfOneOperationThrows) {
  manual_reset_value_task_source<int> source;
  task<std::string> first = await_and_describe(source.task());
  task<std::string> second = await_and_describe(value_task<int>(source, source.version()));
  EXPECT_EQ(second.get(), "threw: tpl::value_task: the operation already has an awaiter (a value_task is awaited once)");
  source.set_result(3);
  EXPECT_EQ(first.get(), "3");  // the first awaiter is not disturbed
}

TEST(ManualResetValueTaskSource, ResultIsConsumedOnce) {
  manual_reset_value_task_source<int> source;
  source.set_result(8);
  EXPECT_EQ(source.get_result(source.version()), 8);
  EXPECT_THROW((void)source.get_result(source.version()), invalid_operation);
  EXPECT_EQ(await_and_describe(source.task()).get(),
            "threw: tpl::value_task: this operation's result was already consumed (a value_task is awaited once)");
}

TEST(ManualResetValueTaskSource, ResultBeforeCompletionThrows) {
  manual_reset_value_task_source<int> source;
  EXPECT_THROW((void)source.get_result(source.version()), invalid_operation);
}

TEST(ManualResetValueTaskSource, CompletingTwiceThrowsAndKeepsTheFirstOutcome) {
  manual_reset_value_task_source<int> source;
  source.set_result(1);
  EXPECT_THROW(source.set_result(2), invalid_operation);
  EXPECT_THROW(source.set_exception(std::make_exception_ptr(std::runtime_error("late"))), invalid_operation);
  EXPECT_EQ(std::move(source.task()).get(), 1);
  EXPECT_THROW(source.set_exception(nullptr), std::invalid_argument);
}

TEST(ManualResetValueTaskSource, ResetWhileAwaitedThrowsAndTheAwaiterStillResumes) {
  manual_reset_value_task_source<int> source;
  task<std::string> awaiting = await_and_describe(source.task());
  EXPECT_THROW(source.reset(), invalid_operation);
  source.set_result(6);
  EXPECT_EQ(awaiting.get(), "6");
  source.reset();  // consumed now: allowed
}

TEST(ManualResetValueTaskSource, ExceptionFaultsAndOperationCanceledCancels) {
  manual_reset_value_task_source<int> source;
  value_task<int> faulted = source.task();
  source.set_exception(std::make_exception_ptr(std::runtime_error("bad")));
  EXPECT_TRUE(faulted.is_faulted());
  EXPECT_EQ(await_and_describe(std::move(faulted)).get(), "threw: bad");
  source.reset();
  value_task<int> canceled = source.task();
  source.set_exception(std::make_exception_ptr(tpl::operation_canceled()));
  EXPECT_TRUE(canceled.is_canceled());
  EXPECT_EQ(std::move(canceled).as_task().status(), tpl::task_status::canceled);
}

TEST(ManualResetValueTaskSource, AsTaskOfAPendingOperationCompletesWithIt) {
  manual_reset_value_task_source<int> source;
  task<int> shared = source.task().as_task();
  EXPECT_FALSE(shared.is_completed());
  source.set_result(21);
  EXPECT_EQ(shared.get(), 21);
  EXPECT_EQ(shared.get(), 21);
  source.reset();  // as_task consumed the operation's result
}

TEST(ManualResetValueTaskSource, VoidOperations) {
  manual_reset_value_task_source<> source;
  auto awaiting = [](value_task<> operation) -> task<int> {
    co_await operation;
    co_return 1;
  }(source.task());
  EXPECT_FALSE(awaiting.is_completed());
  source.set_result();
  EXPECT_EQ(awaiting.get(), 1);
}

TEST(ManualResetValueTaskSource, CompletedFromAnotherThread) {
  manual_reset_value_task_source<int> source;
  for (int round = 0; round < 200; ++round) {
    task<std::string> awaiting = await_and_describe(source.task());
    std::thread producer([&source, round] { source.set_result(round); });
    EXPECT_EQ(awaiting.get(), std::to_string(round));
    producer.join();
    source.reset();
  }
}

// Issue 29, defect 1: a result whose copy throws left the operation claimed for good: the
// awaiter never resumed, and both a second set_result and reset() threw invalid_operation.
struct copy_may_throw {
  int value = 0;
  bool throw_on_copy = false;
  copy_may_throw(int v, bool throws) : value(v), throw_on_copy(throws) {}
  copy_may_throw(const copy_may_throw& other) : value(other.value) {
    if (other.throw_on_copy) throw std::runtime_error("copy failed");
  }
  copy_may_throw& operator=(const copy_may_throw&) = default;
};

task<int> await_fragile(value_task<copy_may_throw> operation) { co_return (co_await operation).value; }

TEST(ManualResetValueTaskSource, ThrowingResultCopyPropagatesAndTheAwaiterGetsTheNextResult) {
  manual_reset_value_task_source<copy_may_throw> source;
  task<int> awaiting = await_fragile(source.task());
  const copy_may_throw bad(1, true);
  EXPECT_THROW(source.set_result(bad), std::runtime_error);
  EXPECT_FALSE(awaiting.is_completed());
  EXPECT_EQ(source.get_status(source.version()), tpl::value_task_source_status::pending);
  source.set_result(copy_may_throw(2, false));  // the claim was given back
  ASSERT_TRUE(awaiting.is_completed());
  EXPECT_EQ(awaiting.get(), 2);
}

TEST(ManualResetValueTaskSource, ThrowingResultCopyLeavesTheSourceResettable) {
  manual_reset_value_task_source<copy_may_throw> source;
  const copy_may_throw bad(1, true);
  EXPECT_THROW(source.set_result(bad), std::runtime_error);
  EXPECT_NO_THROW(source.reset());
  task<int> awaiting = await_fragile(source.task());
  source.set_result(copy_may_throw(3, false));
  EXPECT_EQ(awaiting.get(), 3);
}

// Issue 29, defect 5: get_status read a plain field that reset() rewrote (a data race under
// ThreadSanitizer on every run). The status now comes from the protocol's word; a stale token
// throws. Each round races one status query against one reset.
TEST(ManualResetValueTaskSource, StatusQueryRacingAResetGivesTheStatusOrAStaleTokenError) {
  manual_reset_value_task_source<int> source;
  for (int round = 0; round < 500; ++round) {
    const std::uint64_t token = source.version();
    source.set_result(round);  // completed, unawaited: reset() may drop it
    std::atomic<bool> go{false};
    bool refused = false;
    tpl::value_task_source_status seen = tpl::value_task_source_status::pending;
    std::thread asker([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      try {
        seen = source.get_status(token);
      } catch (const invalid_operation&) {
        refused = true;
      }
    });
    go.store(true, std::memory_order_release);
    source.reset();
    asker.join();
    EXPECT_NE(refused, seen == tpl::value_task_source_status::succeeded) << "round " << round;
  }
}

// Issue 28, item 6: value_task<T>::get() on a faulted operation throws the exception itself
// (.NET's ValueTask<T>.Result), not an aggregate_exception; a canceled one task_canceled.
TEST(ValueTask, GetOnAFaultedOperationThrowsTheExceptionItself) {
  manual_reset_value_task_source<int> source;
  value_task<int> operation = source.task();
  source.set_exception(std::make_exception_ptr(std::runtime_error("broken")));
  EXPECT_THROW((void)std::move(operation).get(), std::runtime_error);
  tpl::task_completion_source<int> canceled;
  canceled.set_canceled();
  EXPECT_THROW((void)value_task<int>(canceled.task()).get(), tpl::task_canceled);
  tpl::task_completion_source<int> faulted;
  faulted.set_exception(std::make_exception_ptr(std::logic_error("wrapped")));
  EXPECT_THROW((void)value_task<int>(faulted.task()).get(), std::logic_error);
}

}  // namespace
