// tpl::delay: completion after the duration on a pool thread, zero and negative durations,
// cancellation before and during the wait.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/delay.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/task.hpp"
#include "support/canceled_token.hpp"

namespace {

using namespace std::chrono_literals;

TEST(Delay, CompletesAfterTheDurationAndResumesAwaitersOnAPoolThread) {
  const auto start = std::chrono::steady_clock::now();
  auto body = [&]() -> tpl::task<std::thread::id> {
    co_await tpl::delay(20ms);
    co_return std::this_thread::get_id();
  };
  const std::thread::id resumed_on = body().get();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);  // never early (a lower bound, not a timing assertion)
  EXPECT_NE(resumed_on, std::this_thread::get_id());
}

TEST(Delay, ZeroIsCompletedAndNegativeIsRejected) {
  EXPECT_TRUE(tpl::delay(0ms).is_completed_successfully());
  EXPECT_THROW((void)tpl::delay(-2ms), std::invalid_argument);  // -1 ms is infinite (test_timeout_arguments.cpp)
}

TEST(Delay, TokenCanceledBeforeGivesACanceledTask) {
  tpl::cancellation_token_source source;
  source.cancel();
  tpl::task<> waited = tpl::delay(1h, source.token());
  EXPECT_TRUE(waited.is_canceled());
}

TEST(Delay, CancelingTheTokenEndsTheDelayAtOnceAndDisarmsTheTimer) {
  const std::size_t before = tpl::detail::timer_service::instance().pending();
  tpl::cancellation_token_source source;
  tpl::task<> waited = tpl::delay(1h, source.token());
  EXPECT_EQ(tpl::detail::timer_service::instance().pending(), before + 1);
  EXPECT_FALSE(waited.is_completed());
  source.cancel();
  EXPECT_TRUE(waited.is_canceled());  // inside cancel(), not an hour later
  EXPECT_EQ(tpl::detail::timer_service::instance().pending(), before);
  EXPECT_TRUE(tpl_test::token_of_canceled(waited) == source.token());
}

TEST(Delay, ManyDelaysComplete) {
  std::vector<tpl::task<>> delays;
  for (int index = 0; index < 200; ++index) delays.push_back(tpl::delay(std::chrono::microseconds(index * 10)));
  for (auto& each : delays) each.get();
  for (auto& each : delays) EXPECT_TRUE(each.is_completed_successfully());
}

}  // namespace
