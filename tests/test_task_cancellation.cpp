// Tasks and cancellation: run(fn, token), set_canceled(token), coroutines that throw
// operation_canceled, and what the awaiting side sees.
#include <gtest/gtest.h>

#include <future>
#include <stdexcept>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "support/canceled_token.hpp"
#include "support/worker_blocker.hpp"

namespace {

using tpl::cancellation_token;
using tpl::cancellation_token_source;
using tpl::task;
using tpl::task_status;

// The token carried by the task_canceled that awaiting `canceled` throws.
cancellation_token token_seen_by_await(const task<int>& canceled) {
  auto awaiter = [&]() -> task<cancellation_token> {
    try {
      co_await canceled;
    } catch (const tpl::task_canceled& error) {
      co_return error.token();
    }
    throw std::logic_error("the await did not throw task_canceled");
  };
  return awaiter().get();
}

TEST(RunWithToken, TokenCanceledBeforeTheCallDoesNotRunFn) {
  tpl::thread_pool pool(1);
  cancellation_token_source source;
  source.cancel();
  bool ran = false;
  task<int> never = tpl::run(pool, [&ran] { ran = true; return 1; }, source.token());
  EXPECT_TRUE(never.is_canceled());
  EXPECT_FALSE(ran);
  EXPECT_TRUE(token_seen_by_await(never) == source.token());
}

TEST(RunWithToken, TokenCanceledWhileQueuedCancelsAtOnceAndFnNeverRuns) {
  tpl::thread_pool pool(1);
  tpl_test::worker_blocker blocker(pool);
  cancellation_token_source source;
  std::atomic<bool> ran{false};
  task<int> queued = tpl::run(pool, [&ran] { ran = true; return 1; }, source.token());
  EXPECT_EQ(queued.status(), task_status::waiting_to_run);
  source.cancel();
  EXPECT_EQ(queued.status(), task_status::canceled);  // at once, while still queued
  blocker.release();
  pool.shutdown();  // the item ran (to find its task complete) before this returns
  EXPECT_FALSE(ran.load());
  EXPECT_THROW(queued.get(), tpl::aggregate_exception);
}

TEST(RunWithToken, FnThrowingOperationCanceledForItsCanceledTokenEndsCanceled) {
  tpl::thread_pool pool(1);
  cancellation_token_source source;
  std::promise<void> started;
  std::promise<void> canceled;
  std::shared_future<void> canceled_future = canceled.get_future().share();
  cancellation_token token = source.token();
  task<int> cooperative = tpl::run(pool, [&started, canceled_future, token]() -> int {
    started.set_value();
    canceled_future.wait();
    token.throw_if_cancellation_requested();
    return 1;
  }, token);
  started.get_future().wait();
  EXPECT_EQ(cooperative.status(), task_status::running);
  source.cancel();  // running tasks are not stopped from outside
  EXPECT_EQ(cooperative.status(), task_status::running);
  canceled.set_value();
  EXPECT_THROW(cooperative.wait(), tpl::aggregate_exception);
  EXPECT_EQ(cooperative.status(), task_status::canceled);
}

TEST(RunWithToken, OperationCanceledForAnotherTokenOrAnUncanceledOneFaults) {
  tpl::thread_pool pool(1);
  cancellation_token_source mine;
  cancellation_token_source other;
  other.cancel();
  task<int> wrong_token = tpl::run(pool, [token = other.token()]() -> int {
    token.throw_if_cancellation_requested();
    return 1;
  }, mine.token());
  EXPECT_THROW(wrong_token.wait(), tpl::aggregate_exception);
  EXPECT_EQ(wrong_token.status(), task_status::faulted);

  task<int> not_canceled = tpl::run(pool, [token = mine.token()]() -> int { throw tpl::operation_canceled(token); },
                                    mine.token());
  EXPECT_THROW(not_canceled.wait(), tpl::aggregate_exception);
  EXPECT_EQ(not_canceled.status(), task_status::faulted);  // its token was not canceled

  task<int> other_error = tpl::run(pool, []() -> int { throw std::runtime_error("plain"); }, mine.token());
  EXPECT_THROW(other_error.wait(), tpl::aggregate_exception);
  EXPECT_EQ(other_error.status(), task_status::faulted);
}

TEST(RunWithToken, UnwrappedTaskWithTokenCanceledBeforeStart) {
  tpl::thread_pool pool(1);
  cancellation_token_source source;
  source.cancel();
  auto never = tpl::run(pool, [] { return task<int>::from_result(1); }, source.token());
  EXPECT_TRUE(never.is_canceled());
}

TEST(CompletionSourceCancellation, SetCanceledWithATokenReportsIt) {
  cancellation_token_source source;
  tpl::task_completion_source<int> completion;
  completion.set_canceled(source.token());
  EXPECT_TRUE(completion.task().is_canceled());
  EXPECT_TRUE(token_seen_by_await(completion.task()) == source.token());
  EXPECT_TRUE(tpl_test::token_of_canceled(completion.task()) == source.token());
}

TEST(CoroutineCancellation, ThrowingOperationCanceledEndsCanceledWithItsToken) {
  cancellation_token_source source;
  source.cancel();
  auto body = [token = source.token()]() -> task<int> {
    token.throw_if_cancellation_requested();
    co_return 1;
  };
  task<int> canceled = body();
  EXPECT_TRUE(canceled.is_canceled());
  EXPECT_TRUE(token_seen_by_await(canceled) == source.token());
}

TEST(CoroutineCancellation, AwaitingARegistrationDrivenCompletion) {
  // A cancellable wait built from the parts: a completion source canceled by a registration.
  cancellation_token_source source;
  tpl::task_completion_source<int> completion;
  auto registration = source.token().register_callback([&completion, token = source.token()] {
    completion.try_set_canceled(token);
  });
  auto waiter = [&]() -> task<bool> {
    try {
      co_await completion.task();
    } catch (const tpl::task_canceled&) {
      co_return true;
    }
    co_return false;
  };
  task<bool> saw_cancel = waiter();
  EXPECT_FALSE(saw_cancel.is_completed());
  source.cancel();
  EXPECT_TRUE(saw_cancel.get());
}

}  // namespace
