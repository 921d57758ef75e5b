// Regressions found by review: lifetimes and waits at the edges of tasks and cancellation.
// Under ASan a use after free here is a failure; a wait that cannot end would hang the test.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "support/worker_blocker.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/delay.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"

namespace {

TEST(LifetimeRegression, CallbackThatDestroysItsSourceAndRegistrationDuringCancel) {
  struct owner {
    tpl::cancellation_token_source source;
    tpl::cancellation_registration registration;
  };
  bool ran = false;
  auto* shared = new owner();
  shared->registration = shared->source.token().register_callback([shared, &ran] {
    ran = true;
    delete shared;  // the source and the registration: the state must outlive this cancel()
  });
  shared->source.cancel();
  EXPECT_TRUE(ran);
}

TEST(LifetimeRegression, UnregisterWhoseCallbackOwnsTheRegistration) {
  struct holder {
    tpl::cancellation_registration registration;
  };
  tpl::cancellation_token_source source;
  auto kept = std::make_shared<holder>();
  holder* raw = kept.get();
  kept->registration = source.token().register_callback([kept] {});  // the callback owns the holder
  kept.reset();
  EXPECT_TRUE(raw->registration.unregister());  // destroying the callback destroys `raw`
}

TEST(LifetimeRegression, QueuedTaskCanceledWhileItsContinuationWaitsOnTheSamePool) {
  // One worker. cancel() runs the token callback on this thread; it completes the queued task,
  // whose awaiting coroutine resumes here and blocks on new work for the same worker. The
  // worker then dequeues the canceled task's item: it must not wait for the callback.
  tpl::thread_pool pool(1);
  tpl_test::worker_blocker blocker(pool);
  tpl::cancellation_token_source source;
  tpl::task<int> queued = tpl::run(pool, [] { return 1; }, source.token());
  auto continuation = [&]() -> tpl::task<int> {
    try {
      co_await queued;
    } catch (const tpl::task_canceled&) {
    }
    blocker.release();
    co_return tpl::run(pool, [] { return 7; }).get();
  };
  tpl::task<int> after = continuation();
  source.cancel();
  EXPECT_EQ(after.get(), 7);
  EXPECT_TRUE(queued.is_canceled());
}

TEST(LifetimeRegression, CompletionSourceWhoseValueThrowsOnMoveStillEndsTheTask) {
  struct odd {
    odd() = default;
    odd(const odd&) = default;
    odd& operator=(const odd&) = default;
    odd(odd&&) { throw std::runtime_error("move"); }
  };
  tpl::task_completion_source<odd> source;
  odd value;
  EXPECT_THROW(source.set_result(value), std::runtime_error);  // the copy is fine, the move throws
  EXPECT_TRUE(source.task().is_faulted());  // ended, not stuck reserved
  EXPECT_THROW(source.task().get(), tpl::aggregate_exception);
}

TEST(LifetimeRegression, DelayTooLongToRepresentWaitsInsteadOfOverflowing) {
  tpl::cancellation_token_source source;
  tpl::task<> forever = tpl::delay(std::chrono::milliseconds::max(), source.token());
  EXPECT_FALSE(forever.is_completed());
  source.cancel();
  EXPECT_TRUE(forever.is_canceled());
  tpl::cancellation_token_source never;
  never.cancel_after(std::chrono::hours::max());
  EXPECT_FALSE(never.is_cancellation_requested());
}

}  // namespace
