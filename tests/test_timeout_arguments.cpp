// .NET's rules for delays and timeouts (detail/timeout_argument.hpp), through every public
// entry that takes one: -1 ms is Timeout.InfiniteTimeSpan, any other negative value and NaN are
// refused, and a source built with a zero delay is canceled on return.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "support/canceled_token.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/delay.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/task.hpp"
#include "tpl/run.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/wait_all.hpp"

namespace {

using namespace std::chrono_literals;
using float_ms = std::chrono::duration<double, std::milli>;
const float_ms not_a_number{std::numeric_limits<double>::quiet_NaN()};

TEST(TimeoutArguments, NaNIsRefusedEverywhere) {
  tpl::cancellation_token_source source;
  tpl::task_completion_source<> pending;
  std::vector<tpl::task<>> tasks{pending.task()};
  EXPECT_THROW((void)tpl::delay(not_a_number), std::invalid_argument);
  EXPECT_THROW(source.cancel_after(not_a_number), std::invalid_argument);
  EXPECT_THROW(tpl::cancellation_token_source{not_a_number}, std::invalid_argument);
  EXPECT_THROW((void)pending.task().wait_for(not_a_number), std::invalid_argument);
  EXPECT_THROW((void)tpl::wait_all_for(tasks, not_a_number), std::invalid_argument);
  EXPECT_THROW((void)tpl::wait_any_for(tasks, not_a_number), std::invalid_argument);
  EXPECT_FALSE(source.is_cancellation_requested());
}

TEST(TimeoutArguments, NegativeValuesOtherThanMinusOneMillisecondAreRefused) {
  tpl::cancellation_token_source source;
  tpl::task_completion_source<> pending;
  EXPECT_THROW((void)tpl::delay(-2ms), std::invalid_argument);
  EXPECT_THROW((void)tpl::delay(-999us), std::invalid_argument);
  EXPECT_THROW((void)tpl::delay(float_ms(-1.5)), std::invalid_argument);
  EXPECT_THROW((void)tpl::delay(std::chrono::hours::min()), std::invalid_argument);  // no overflow on the way
  EXPECT_THROW(source.cancel_after(-1s), std::invalid_argument);
  EXPECT_THROW((void)pending.task().wait_for(-2ms), std::invalid_argument);
}

TEST(TimeoutArguments, InfiniteDelayIsPendingUntilItsTokenIsCanceled) {
  tpl::cancellation_token_source source;
  tpl::task<> infinite = tpl::delay(-1ms, source.token());
  tpl::task<> also_infinite = tpl::delay(-1000us);  // the same value in another unit, no token
  tpl::delay(5ms).wait();  // a later timer fired: an armed one for `infinite` would have too
  EXPECT_FALSE(infinite.is_completed());
  EXPECT_FALSE(also_infinite.is_completed());
  source.cancel();
  ASSERT_TRUE(infinite.is_canceled());
  EXPECT_EQ(tpl_test::token_of_canceled(infinite), source.token());
}

TEST(TimeoutArguments, InfiniteDelayArmsNoTimer) {
  auto& timers = tpl::detail::timer_service::instance();
  tpl::delay(1ms).wait();  // the service exists
  const std::size_t before = timers.pending();
  tpl::cancellation_token_source source;
  tpl::task<> infinite = tpl::delay(-1ms, source.token());
  EXPECT_EQ(timers.pending(), before);
}

TEST(TimeoutArguments, InfiniteDelayOnASourceThatDiesUncanceledStaysPendingNotBroken) {
  tpl::task<> infinite;
  {
    tpl::cancellation_token_source source;
    infinite = tpl::delay(-1ms, source.token());
  }
  EXPECT_FALSE(infinite.is_completed());  // .NET: pending for ever; not broken_promise
}

TEST(TimeoutArguments, CancelAfterMinusOneMillisecondDisarmsThePendingDeadline) {
  auto& timers = tpl::detail::timer_service::instance();
  tpl::delay(1ms).wait();  // the service exists
  const std::size_t before = timers.pending();
  tpl::cancellation_token_source source;
  source.cancel_after(1h);
  EXPECT_EQ(timers.pending(), before + 1);
  source.cancel_after(-1ms);
  EXPECT_EQ(timers.pending(), before);
  EXPECT_FALSE(source.is_cancellation_requested());
}

TEST(TimeoutArguments, SourceBuiltWithAZeroDelayIsCanceledOnReturn) {
  tpl::cancellation_token_source zero(0ms);
  EXPECT_TRUE(zero.is_cancellation_requested());
  tpl::cancellation_token_source also_zero(float_ms(0.0));
  EXPECT_TRUE(also_zero.is_cancellation_requested());
}

TEST(TimeoutArguments, WaitsTakeMinusOneMillisecondAsNoLimit) {
  tpl::task_completion_source<int> source;
  std::vector<tpl::task<int>> tasks{source.task()};
  tpl::task<bool> waiter = tpl::run([task = source.task()] { return task.wait_for(-1ms); });
  tpl::task<bool> all_waiter = tpl::run([tasks] { return tpl::wait_all_for(tasks, -1ms); });
  source.set_result(7);
  EXPECT_TRUE(waiter.get());
  EXPECT_TRUE(all_waiter.get());
  EXPECT_EQ(tpl::wait_any_for(tasks, -1ms), std::optional<std::size_t>(0));
}

}  // namespace
