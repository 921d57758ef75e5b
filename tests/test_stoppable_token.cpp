// cancellation_token as a standard stop token: it models tpl::stoppable_token (the C++26
// concept), and generic code written against the concept works with it as with std's tokens.
#include <gtest/gtest.h>

#include <atomic>
#include <stop_token>
#include <thread>

#include "tpl/cancellation_callback.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/stoppable_token.hpp"

namespace {

static_assert(tpl::stoppable_token<tpl::cancellation_token>);
static_assert(!tpl::stoppable_token<int>);
static_assert(!tpl::stoppable_token<tpl::cancellation_token_source>, "a source is not a token");

// C++26's std::stop_token is C++20's plus `callback_type`: with the alias added, the standard
// type models the restated concept too, so the concept asks no more than the standard's does.
struct cxx26_stop_token : std::stop_token {
  using std::stop_token::stop_token;
  explicit cxx26_stop_token(std::stop_token token) noexcept : std::stop_token(std::move(token)) {}
  template <class Callback>
  using callback_type = std::stop_callback<Callback>;
};
static_assert(tpl::stoppable_token<cxx26_stop_token>);
static_assert(!tpl::stoppable_token<std::stop_token>, "C++20's stop_token lacks callback_type");

// Generic code, written once against the concept.
template <tpl::stoppable_token Token>
int count_stops_while(Token token, auto&& body) {
  int stops = 0;
  auto count = [&stops] { ++stops; };
  {
    typename Token::template callback_type<decltype(count)> registered(token, count);
    body();
  }
  return stops;
}

TEST(StoppableToken, GenericCodeSeesACancellationAsAStop) {
  tpl::cancellation_token_source source;
  EXPECT_EQ(count_stops_while(source.token(), [&] { source.cancel(); }), 1);
  EXPECT_TRUE(source.token().stop_requested());
}

TEST(StoppableToken, GenericCodeSeesStdStopTheSameWay) {
  std::stop_source source;
  EXPECT_EQ(count_stops_while(cxx26_stop_token(source.get_token()), [&] { source.request_stop(); }), 1);
}

TEST(StoppableToken, ACallbackLeftBeforeCancellationNeverRuns) {
  tpl::cancellation_token_source source;
  EXPECT_EQ(count_stops_while(source.token(), [] {}), 0);
  source.cancel();  // the callback was unregistered when it went out of scope
}

TEST(StoppableToken, ACallbackOnACanceledTokenRunsAtConstruction) {
  tpl::cancellation_token_source source;
  source.cancel();
  int runs = 0;
  tpl::cancellation_callback callback(source.token(), [&runs] { ++runs; });
  EXPECT_EQ(runs, 1);
}

TEST(StoppableToken, StopPossibleIsFalseOnlyForNone) {
  EXPECT_FALSE(tpl::cancellation_token::none().stop_possible());
  EXPECT_FALSE(tpl::cancellation_token::none().stop_requested());
  tpl::cancellation_token_source source;
  EXPECT_TRUE(source.token().stop_possible());
  EXPECT_FALSE(source.token().stop_requested());
  int runs = 0;
  {
    tpl::cancellation_callback on_none(tpl::cancellation_token::none(), [&runs] { ++runs; });
  }
  EXPECT_EQ(runs, 0);
}

TEST(StoppableToken, TheDestructorWaitsForACallbackRunningElsewhere) {
  tpl::cancellation_token_source source;
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::atomic<bool> finished{false};
  auto blocking = [&] {
    entered = true;
    while (!release) std::this_thread::yield();
    finished = true;
  };
  auto callback = std::make_unique<tpl::cancellation_callback<decltype(blocking)>>(source.token(), blocking);
  std::thread canceler([&] { source.cancel(); });
  while (!entered) std::this_thread::yield();
  std::thread releaser([&] { release = true; });
  callback.reset();  // must not return while the callback runs
  EXPECT_TRUE(finished);
  canceler.join();
  releaser.join();
}

}  // namespace
