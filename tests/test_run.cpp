// tpl::run: status transitions, results, exceptions, unwrapping, misuse.
#include <gtest/gtest.h>

#include <thread>
#include <functional>
#include <future>
#include <stdexcept>

#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "support/worker_blocker.hpp"

namespace {

using tpl::task;
using tpl::task_status;

TEST(Run, StatusGoesWaitingToRunThenRunningThenRanToCompletion) {
  tpl::thread_pool pool(1);
  tpl_test::worker_blocker blocker(pool);  // the only worker is busy: the next task must queue

  std::promise<void> body_started;
  std::promise<void> release_body;
  std::shared_future<void> body_release = release_body.get_future().share();
  task<int> queued = tpl::run(pool, [&body_started, body_release] {
    body_started.set_value();
    body_release.wait();
    return 7;
  });
  EXPECT_EQ(queued.status(), task_status::waiting_to_run);
  blocker.release();
  body_started.get_future().wait();
  EXPECT_EQ(queued.status(), task_status::running);
  release_body.set_value();
  EXPECT_EQ(queued.get(), 7);
  EXPECT_EQ(queued.status(), task_status::ran_to_completion);
}

TEST(Run, VoidAndValueResultsAndTheDefaultPool) {
  int touched = 0;
  task<> done = tpl::run([&touched] { touched = 1; });
  done.wait();
  EXPECT_EQ(touched, 1);
  EXPECT_EQ(tpl::run([] { return std::string("x"); }).get(), "x");
}

TEST(Run, ExceptionFaultsTheTask) {
  tpl::thread_pool pool(2);
  task<int> failing = tpl::run(pool, []() -> int { throw std::out_of_range("range"); });
  try {
    failing.get();
    FAIL();
  } catch (const tpl::aggregate_exception& error) {
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions().at(0)), std::out_of_range);
  }
  EXPECT_TRUE(failing.is_faulted());
}

TEST(Run, TaskReturningCallableIsUnwrapped) {
  tpl::thread_pool pool(2);
  tpl::task_completion_source<int> inner;
  task<int> outer = tpl::run(pool, [&inner] { return inner.task(); });  // task<int>, not task<task<int>>
  static_assert(std::is_same_v<decltype(outer), task<int>>);
  inner.set_result(11);
  EXPECT_EQ(outer.get(), 11);

  task<int> faulted = tpl::run(pool, [] { return task<int>::from_exception(std::make_exception_ptr(std::runtime_error("in"))); });
  EXPECT_THROW(faulted.get(), tpl::aggregate_exception);
  EXPECT_TRUE(faulted.is_faulted());

  task<int> canceled = tpl::run(pool, [] { return task<int>::from_canceled(); });
  EXPECT_THROW(canceled.get(), tpl::aggregate_exception);
  EXPECT_TRUE(canceled.is_canceled());

  task<int> empty_inner = tpl::run(pool, [] { return task<int>(); });
  EXPECT_THROW(empty_inner.get(), tpl::aggregate_exception);
  EXPECT_TRUE(empty_inner.is_canceled());  // .NET's Unwrap of a null task

  task<int> throws_first = tpl::run(pool, []() -> task<int> { throw std::runtime_error("before the task"); });
  EXPECT_THROW(throws_first.wait(), tpl::aggregate_exception);
  EXPECT_TRUE(throws_first.is_faulted());
}

TEST(Run, UnwrappedOuterTaskWaitsForActivationWhileTheInnerRuns) {
  tpl::thread_pool pool(1);
  tpl::task_completion_source<int> inner;
  task<int> outer = tpl::run(pool, [&] { return inner.task(); });
  // Once the callable has returned and registered on the inner task, the outer task waits.
  auto probe = tpl::run(pool, [] { return 0; });  // runs after the outer item on the one worker
  probe.wait();
  EXPECT_EQ(outer.status(), task_status::waiting_for_activation);
  inner.set_result(1);
  EXPECT_EQ(outer.get(), 1);
}

// .NET's Task.Run uses TaskScheduler.Default even on a custom scheduler's thread.
TEST(Run, WithoutAPoolQueuesToTheDefaultPoolEvenFromACustomPoolsWorker) {
  tpl::thread_pool custom(1);
  // The inner task is returned (unwrapped), not waited for inside: a wait on a worker may run
  // a task that has not started inline, on the waiting worker.
  tpl::task<bool> on_default = tpl::run(custom, [] {
    return tpl::run([] { return tpl::thread_pool::default_pool().current_worker() != nullptr; });
  });
  EXPECT_TRUE(on_default.get());
  tpl::task<bool> explicit_pool =
      tpl::run(custom, [&custom] { return tpl::run(custom, [&custom] { return custom.current_worker() != nullptr; }); });
  EXPECT_TRUE(explicit_pool.get());
}

TEST(Run, MisuseGetsClearErrors) {
  tpl::thread_pool pool(1);
  std::function<int()> null_function;
  EXPECT_THROW((void)tpl::run(pool, null_function), std::invalid_argument);
  int (*null_pointer)() = nullptr;
  EXPECT_THROW((void)tpl::run(pool, null_pointer), std::invalid_argument);
  pool.shutdown();
  EXPECT_THROW((void)tpl::run(pool, [] { return 1; }), tpl::invalid_operation);
}

// Issue 28, item 6: run(fn) from a custom pool's worker queues to the default pool, as
// Task.Run does; a blocking get() on the custom worker used to run fn there, inline.
TEST(Run, RunFromACustomPoolWorkerRunsOnTheDefaultPoolEvenWhenWaitedThere) {
  tpl::thread_pool custom(1);
  const bool ran_elsewhere = tpl::run(custom, [] {
    const std::thread::id waiter = std::this_thread::get_id();
    return tpl::run([] { return std::this_thread::get_id(); }).get() != waiter;
  }).get();
  EXPECT_TRUE(ran_elsewhere);
}

}  // namespace
