// task<T> handles, coroutine tasks, awaiting, blocking waits, exceptions, unobserved faults,
// and the inline-recursion bounds (a million nested or chained awaits).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/unobserved_exceptions.hpp"

namespace {

using tpl::task;
using tpl::task_completion_source;
using tpl::task_status;

// Installs a handler that records unobserved faults for the test's duration.
class unobserved_recorder {
 public:
  unobserved_recorder() {
    previous_ = tpl::set_unobserved_exception_handler([this](const tpl::aggregate_exception& unobserved) {
      std::lock_guard lock(mutex_);
      for (const auto& error : unobserved.inner_exceptions()) messages_.push_back(message_of(error));
    });
  }
  ~unobserved_recorder() { tpl::set_unobserved_exception_handler(std::move(previous_)); }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  static std::string message_of(const std::exception_ptr& error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& caught) {
      return caught.what();
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
  tpl::unobserved_exception_handler previous_;
};

task<int> add_one(task<int> awaited) { co_return co_await awaited + 1; }

task<int> throws_runtime_error() {
  throw std::runtime_error("boom");
  co_return 0;
}

TEST(TaskHandleDeathTest, QueriesAreNoexceptAndStopTheProgramWithAMessageOnAnEmptyHandle) {
  static_assert(noexcept(std::declval<const task<int>&>().status()));
  static_assert(noexcept(std::declval<const task<int>&>().is_completed()));
  static_assert(noexcept(std::declval<const task<int>&>().is_faulted()));
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the process has pool threads
  task<int> empty;
  EXPECT_DEATH((void)empty.status(), "contract violation: tpl::task::status: the task handle is empty");
  EXPECT_DEATH((void)empty.is_completed(), "the task handle is empty");
}

TEST(TaskHandle, EmptyHandleThrowsInvalidOperationOnUse) {
  task<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_THROW(empty.wait(), tpl::invalid_operation);
  EXPECT_THROW((void)empty.get(), tpl::invalid_operation);
  EXPECT_THROW((void)empty.exception(), tpl::invalid_operation);
  EXPECT_THROW((void)add_one(empty).get(), tpl::aggregate_exception);  // the coroutine faults with it
  try {
    empty.wait();
  } catch (const tpl::invalid_operation& error) {
    EXPECT_NE(std::string(error.what()).find("empty"), std::string::npos);
  }
}

TEST(TaskHandle, MovedFromHandleIsEmptyAndCopiesShareTheState) {
  task<int> original = task<int>::from_result(5);
  task<int> copy = original;
  task<int> moved = std::move(original);
  EXPECT_FALSE(original.valid());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_THROW((void)original.get(), tpl::invalid_operation);
  EXPECT_EQ(copy.core(), moved.core());
  EXPECT_EQ(copy.get(), 5);
  EXPECT_EQ(moved.get(), 5);
}

TEST(TaskFactories, FromResultExceptionCanceledAndCompletedTask) {
  EXPECT_EQ(task<std::string>::from_result("hi").get(), "hi");
  EXPECT_EQ(tpl::completed_task().status(), task_status::ran_to_completion);

  auto faulted = task<int>::from_exception(std::make_exception_ptr(std::runtime_error("bad")));
  EXPECT_TRUE(faulted.is_faulted());
  auto aggregate = faulted.exception();
  ASSERT_TRUE(aggregate.has_value());
  ASSERT_EQ(aggregate->inner_exceptions().size(), 1u);
  EXPECT_THROW(std::rethrow_exception(aggregate->inner_exceptions()[0]), std::runtime_error);
  EXPECT_THROW((void)task<int>::from_exception(nullptr), std::invalid_argument);

  tpl::cancellation_token_source not_canceled;
  EXPECT_THROW((void)task<int>::from_canceled(not_canceled.token()), std::invalid_argument);  // .NET's rule
  EXPECT_THROW((void)task<int>::from_canceled(tpl::cancellation_token::none()), std::invalid_argument);
  not_canceled.cancel();
  EXPECT_TRUE(task<int>::from_canceled(not_canceled.token()).is_canceled());

  auto canceled = task<int>::from_canceled();
  EXPECT_TRUE(canceled.is_canceled());
  EXPECT_FALSE(canceled.exception().has_value());  // .NET: a canceled task's Exception is null
  try {
    canceled.get();
    FAIL() << "get() on a canceled task returned";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), tpl::task_canceled);
  }
}

TEST(CoroutineTask, RunsSynchronouslyUntilTheFirstIncompleteAwait) {
  task_completion_source<int> source;
  std::vector<std::string> steps;
  auto body = [&]() -> task<int> {
    steps.push_back("started");
    int ready = co_await task<int>::from_result(1);  // complete: no suspension
    steps.push_back("after complete await");
    int later = co_await source.task();
    steps.push_back("resumed");
    co_return ready + later;
  };
  task<int> result = body();
  EXPECT_EQ(steps, (std::vector<std::string>{"started", "after complete await"}));
  EXPECT_EQ(result.status(), task_status::waiting_for_activation);
  source.set_result(41);  // resumes the coroutine on this thread, before set_result returns
  EXPECT_EQ(steps.back(), "resumed");
  EXPECT_EQ(result.status(), task_status::ran_to_completion);
  EXPECT_EQ(result.get(), 42);
}

TEST(CoroutineTask, ResumesOnTheThreadThatCompletesTheAwaitedTask) {
  task_completion_source<int> source;
  std::thread::id resumed_on;
  auto body = [&]() -> task<> {
    co_await source.task();
    resumed_on = std::this_thread::get_id();
  };
  task<> result = body();
  std::thread completer([&] { source.set_result(1); });
  const std::thread::id completer_id = completer.get_id();
  completer.join();
  result.get();
  EXPECT_EQ(resumed_on, completer_id);
}

TEST(CoroutineTask, ExceptionFaultsTheTaskAndAwaitRethrowsItAsThrown) {
  task<int> failing = throws_runtime_error();
  EXPECT_EQ(failing.status(), task_status::faulted);
  auto awaiter = [&]() -> task<std::string> {
    try {
      co_await failing;
    } catch (const std::runtime_error& error) {
      co_return error.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(awaiter().get(), "boom");
  try {
    failing.get();
    FAIL() << "get() on a faulted task returned";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), std::runtime_error);
  }
  EXPECT_THROW(failing.wait(), tpl::aggregate_exception);
}

TEST(CoroutineTask, OperationCanceledEndsTheTaskCanceledAndAwaitThrowsTaskCanceled) {
  auto cancels = []() -> task<int> {
    throw tpl::operation_canceled();
    co_return 0;
  };
  task<int> canceled = cancels();
  EXPECT_EQ(canceled.status(), task_status::canceled);
  auto awaiter = [&]() -> task<bool> {
    try {
      co_await canceled;
    } catch (const tpl::task_canceled&) {
      co_return true;
    }
    co_return false;
  };
  task<bool> saw_cancel = awaiter();
  EXPECT_TRUE(saw_cancel.get());
}

TEST(CoroutineTask, ManyAwaitersOfOneTaskAllResume) {
  task_completion_source<int> source;
  std::vector<task<int>> awaiters;
  for (int index = 0; index < 50; ++index) awaiters.push_back(add_one(source.task()));
  for (const auto& awaiter : awaiters) EXPECT_FALSE(awaiter.is_completed());
  source.set_result(9);
  for (const auto& awaiter : awaiters) EXPECT_EQ(awaiter.get(), 10);
}

TEST(CoroutineTask, VoidTaskAndAwaitingTheSameTaskTwice) {
  task<int> ready = task<int>::from_result(3);
  auto twice = [&]() -> task<> {
    int sum = co_await ready;
    sum += co_await ready;
    if (sum != 6) throw std::logic_error("awaiting twice gave a different value");
  };
  EXPECT_NO_THROW(twice().get());
}

TEST(BlockingWait, GetFromAnotherThreadWaitsForTheCompletion) {
  task_completion_source<int> source;
  std::promise<int> seen;
  std::thread waiter([&] { seen.set_value(source.task().get()); });
  source.set_result(77);
  EXPECT_EQ(seen.get_future().get(), 77);
  waiter.join();
}

TEST(BlockingWait, WorkerThatBlocksRunsTheAwaitedTaskInline) {
  // One worker: the inner task is the newest item of the worker's deque when the outer task
  // waits for it, so the wait runs it inline (as .NET's Wait inlines a locally queued task)
  // instead of parking and starting a spare.
  tpl::thread_pool pool(1);
  auto outer = tpl::run(pool, [&pool] { return tpl::run(pool, [] { return 5; }).get() * 2; });
  EXPECT_EQ(outer.get(), 10);
  EXPECT_EQ(pool.counters()[0].parked, 0u);
  EXPECT_EQ(pool.spare_threads_started(), 0u);
}

TEST(BlockingWait, WorkerRunsAnAwaitedTaskThatIsNotOnTopOfItsDequeInlineOnce) {
  // .NET's Task.Wait inlining: `first` lies below `second` in the worker's deque; waiting for it
  // runs it here (no park, no spare), and its queued entry, reached later, does not run it again.
  tpl::thread_pool pool(1);
  std::atomic<int> first_runs{0};
  std::atomic<int> second_runs{0};
  auto outer = tpl::run(pool, [&] {
    auto first = tpl::run(pool, [&] { return first_runs.fetch_add(1) + 10; });
    auto second = tpl::run(pool, [&] { return second_runs.fetch_add(1) + 20; });
    return first.get() + second.get();
  });
  EXPECT_EQ(outer.get(), 30);
  pool.shutdown();  // the stale entry of `first` has been reached by now
  EXPECT_EQ(first_runs.load(), 1);
  EXPECT_EQ(second_runs.load(), 1);
  EXPECT_EQ(pool.spare_threads_started(), 0u);
}

TEST(BlockingWait, TaskWithATokenIsNotClaimedButStillCompletes) {
  // A task with a cancelable token is only inlined when it is on top of the deque (a claim
  // would race two starts on its registration); below another item, the waiter parks and a
  // spare runs it.
  tpl::thread_pool pool(1);
  tpl::cancellation_token_source source;
  std::atomic<int> runs{0};
  auto outer = tpl::run(pool, [&] {
    auto first = tpl::run(pool, [&] { return runs.fetch_add(1) + 1; }, source.token());
    auto second = tpl::run(pool, [] { return 2; });
    return first.get() + second.get();
  });
  EXPECT_EQ(outer.get(), 3);
  pool.shutdown();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_GE(pool.spare_threads_started(), 1u);
}

TEST(BlockingWait, WorkerWaitingOnAnUnrelatedTaskParksAndASpareRunsThePool) {
  // One worker blocks on a task that only another queued item completes: the item lies below
  // the wait's mark (it is not the waiter's own subtree), so a spare thread runs it.
  tpl::thread_pool pool(1);
  task_completion_source<int> source;
  auto outer = tpl::run(pool, [&] {
    tpl::detail::current_worker()->pool().submit([&] { source.set_result(4); });
    return tpl::run(pool, [&] { return source.task().get(); }).get();
  });
  EXPECT_EQ(outer.get(), 4);
  EXPECT_GE(pool.spare_threads_started(), 1u);
}

TEST(Unobserved, FaultNobodyObservedIsReportedWhenTheLastHandleGoes) {
  unobserved_recorder recorder;
  {
    task<int> failing = throws_runtime_error();
    task<int> copy = failing;
    EXPECT_TRUE(copy.is_faulted());
  }
  EXPECT_EQ(recorder.messages(), (std::vector<std::string>{"boom"}));
}

TEST(Unobserved, ObservedFaultsAreNotReported) {
  unobserved_recorder recorder;
  {
    task<int> by_exception = throws_runtime_error();
    EXPECT_TRUE(by_exception.exception().has_value());
    task<int> by_get = throws_runtime_error();
    EXPECT_THROW((void)by_get.get(), tpl::aggregate_exception);
    task<int> by_await = throws_runtime_error();
    EXPECT_THROW((void)add_one(by_await).get(), tpl::aggregate_exception);  // the awaiter's own fault is observed by get
    task<int> canceled = task<int>::from_canceled();  // not a fault: never reported
  }
  EXPECT_TRUE(recorder.messages().empty());
}

// --- Inline recursion is bounded --------------------------------------------------------

constexpr int million = 1'000'000;

task<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await nested(depth - 1);
}

TEST(InlineRecursion, MillionNestedSynchronousCoroutineCallsDoNotOverflowTheStack) {
  // Each call starts its callee eagerly on the same stack; past the stack reserve the starts go
  // to the pool, and completions resume awaiters by symmetric transfer.
  EXPECT_EQ(nested(million).get(), million);
}

TEST(InlineRecursion, MillionAwaitsOfCompletedTasksInALoop) {
  auto loop = []() -> task<long> {
    long sum = 0;
    for (int index = 0; index < million; ++index) sum += co_await task<int>::from_result(1);
    co_return sum;
  };
  EXPECT_EQ(loop().get(), million);
}

task<int> relay(task<int> previous) { co_return co_await previous + 1; }

TEST(InlineRecursion, MillionChainedAwaitersCompletedFromAnotherThread) {
  // A chain of a million suspended coroutines, each awaiting the one before; completing the
  // first from another thread resumes them all, one after the other, on that thread.
  task_completion_source<int> source;
  std::vector<task<int>> chain;
  chain.reserve(million);
  chain.push_back(relay(source.task()));
  for (int index = 1; index < million; ++index) chain.push_back(relay(chain.back()));
  task<int> last = chain.back();
  EXPECT_FALSE(last.is_completed());
  std::thread completer([&] { source.set_result(0); });
  completer.join();
  EXPECT_EQ(last.get(), million);
  chain.clear();  // frames are freed here and when `last` goes: no recursive destruction
}

TEST(InlineRecursion, MillionLongChainHeldOnlyByItsLastHandleIsFreedWithoutRecursion) {
  // Each frame holds the task it awaited: dropping the last handle frees the whole chain.
  task_completion_source<int> source;
  task<int> last = relay(source.task());
  for (int index = 1; index < million; ++index) last = relay(last);
  source.set_result(0);
  EXPECT_EQ(last.get(), million);
  last = task<int>();
  // And while still suspended: the frames are freed without ever having run to the end.
  task_completion_source<int> never;
  task<int> pending = relay(never.task());
  for (int index = 1; index < million; ++index) pending = relay(pending);
  pending = task<int>();
  never.set_result(0);  // the first frame is still alive (it is the source's continuation)
}

TEST(InlineRecursion, MillionAwaitsEachCompletedOneByOneFromAnotherThread) {
  std::vector<task_completion_source<int>> sources(million);
  std::vector<task<int>> tasks;
  tasks.reserve(million);
  for (const auto& source : sources) tasks.push_back(source.task());
  auto consumer = [&tasks]() -> task<long> {
    long sum = 0;
    for (const auto& each : tasks) sum += co_await each;
    co_return sum;
  };
  task<long> total = consumer();
  std::thread completer([&] {
    for (auto& source : sources) source.set_result(1);
  });
  completer.join();
  EXPECT_EQ(total.get(), million);
}

}  // namespace

// Move-only results (issue 14 needs task<stream>): an lvalue await or get() reads the one value
// in place, an rvalue await or get() moves it out.
tpl::task<std::unique_ptr<int>> make_owned(int value) { co_return std::make_unique<int>(value); }

tpl::task<int> read_then_take(tpl::task<std::unique_ptr<int>> owned) {
  const std::unique_ptr<int>& shared = co_await owned;  // every reader sees the same object
  const int* address = shared.get();
  std::unique_ptr<int> taken = co_await std::move(owned);  // the last reader takes it
  EXPECT_EQ(taken.get(), address) << "moved out, not copied";
  EXPECT_EQ(owned.get(), nullptr) << "the handle now sees the moved-from value";
  co_return *taken;
}

TEST(MoveOnlyResult, LvalueAwaitReadsInPlaceRvalueAwaitMovesOut) {
  EXPECT_EQ(read_then_take(make_owned(42)).get(), 42);
}

TEST(MoveOnlyResult, RvalueGetMovesOutOfACompletionSource) {
  tpl::task_completion_source<std::unique_ptr<int>> source;
  tpl::task<std::unique_ptr<int>> task = source.task();
  source.set_result(std::make_unique<int>(7));
  EXPECT_EQ(*task.get(), 7);                // a const reference
  std::unique_ptr<int> owned = std::move(task).get();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 7);
}
