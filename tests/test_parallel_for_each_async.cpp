// parallel_for_each_async against .NET 6's Parallel.ForEachAsync: every element once, at most
// max_degree_of_parallelism bodies pending, the first fault ends the loop and is what the task
// reports, the caller's token cancels it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <numeric>
#include <ranges>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tpl/cancellation_token_source.hpp>
#include <tpl/delay.hpp>
#include <tpl/parallel_for_each_async.hpp>
#include <tpl/task_completion_source.hpp>
#include <tpl/yield.hpp>
#include "support/concurrency_probe.hpp"
#include <vector>

namespace {

using namespace std::chrono_literals;

TEST(ParallelForEachAsync, EveryElementOnceAndNoMoreThanTheDegreePending) {
  tpl::thread_pool pool(4);
  for (int degree : {1, 2, 5}) {
    std::vector<int> values(300);
    std::iota(values.begin(), values.end(), 0);
    std::vector<std::atomic<int>> visits(values.size());
    tpl_test::concurrency_probe probe;
    tpl::parallel_options options{&pool};
    options.max_degree_of_parallelism = degree;
    tpl::task<> loop = tpl::parallel_for_each_async(
        values,
        [&](int value, tpl::cancellation_token) -> tpl::task<> {
          probe.enter();
          visits[static_cast<std::size_t>(value)].fetch_add(1);
          co_await tpl::yield();  // pending across a suspension: the bound is on pending bodies
          probe.leave();
        },
        options);
    loop.wait();
    EXPECT_EQ(loop.status(), tpl::task_status::ran_to_completion);
    EXPECT_LE(probe.highest.load(), degree) << degree;
    for (auto& each : visits) ASSERT_EQ(each.load(), 1);
  }
}

TEST(ParallelForEachAsync, KeepsAnRvalueRangeAliveAndTakesBodiesWithoutAToken) {
  std::atomic<long> sum{0};
  tpl::task<> loop = tpl::parallel_for_each_async(std::views::iota(0, 1000), [&](int value) -> tpl::task<> {
    sum.fetch_add(value);
    co_return;
  });
  loop.get();
  EXPECT_EQ(sum.load(), 1000L * 999 / 2);
}

TEST(ParallelForEachAsync, ReadsASinglePassRangeOnce) {
  auto text = std::make_shared<std::istringstream>();
  std::ostringstream numbers;
  for (int number = 0; number < 500; ++number) numbers << number << ' ';
  text->str(numbers.str());
  std::vector<std::atomic<int>> visits(500);
  auto numbers_view = std::views::istream<int>(*text);
  tpl::parallel_for_each_async(numbers_view, [&](int& number) -> tpl::task<> {
    visits[static_cast<std::size_t>(number)].fetch_add(1);
    co_return;
  }).get();
  for (auto& each : visits) ASSERT_EQ(each.load(), 1);
}

TEST(ParallelForEachAsync, TheFirstFaultEndsTheLoopAndCancelsTheOtherBodiesToken) {
  tpl::thread_pool pool(4);
  std::atomic<int> started{0};
  tpl::parallel_options options{&pool};
  options.max_degree_of_parallelism = 4;
  tpl::task<> loop = tpl::parallel_for_each_async(
      std::views::iota(0, 10000),
      [&](int value, tpl::cancellation_token token) -> tpl::task<> {
        started.fetch_add(1);
        if (value == 20) throw std::runtime_error("twenty");
        if (value > 20) co_await tpl::delay(std::chrono::hours(1), token);  // only the failure ends it
      },
      options);
  try {
    loop.get();
    FAIL() << "no exception";
  } catch (const tpl::aggregate_exception& error) {
    // The bodies canceled by the failure threw for the token they were given: not reported.
    ASSERT_EQ(error.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), std::runtime_error);
  }
  EXPECT_EQ(loop.status(), tpl::task_status::faulted);
  EXPECT_LT(started.load(), 10000);
}

TEST(ParallelForEachAsync, EveryBodysOwnFaultIsReported) {
  tpl::thread_pool pool(2);
  tpl::task_completion_source<> both_started;
  std::atomic<int> started{0};
  tpl::parallel_options options{&pool};
  options.max_degree_of_parallelism = 2;
  tpl::task<> loop = tpl::parallel_for_each_async(
      std::vector<int>{1, 2},
      [&](int value) -> tpl::task<> {
        if (started.fetch_add(1) == 1) both_started.set_result();
        co_await both_started.task();  // both pending before either throws
        throw std::runtime_error(std::to_string(value));
      },
      options);
  try {
    loop.get();
    FAIL() << "no exception";
  } catch (const tpl::aggregate_exception& error) {
    EXPECT_EQ(error.inner_exceptions().size(), 2u);
  }
}

TEST(ParallelForEachAsync, TheCallersTokenCancelsTheLoop) {
  tpl::thread_pool pool(2);
  tpl::cancellation_token_source source;
  std::atomic<int> started{0};
  tpl::parallel_options options{&pool};
  options.token = source.token();
  tpl::task<> loop = tpl::parallel_for_each_async(
      std::views::iota(0, 1000000),
      [&](int, tpl::cancellation_token token) -> tpl::task<> {
        if (started.fetch_add(1) == 50) source.cancel();
        co_await tpl::delay(std::chrono::milliseconds(0), token);
      },
      options);
  EXPECT_THROW(loop.get(), tpl::aggregate_exception);
  EXPECT_EQ(loop.status(), tpl::task_status::canceled);
  EXPECT_LT(started.load(), 1000000);
}

TEST(ParallelForEachAsync, AnAlreadyCanceledTokenRunsNoBody) {
  tpl::cancellation_token_source source;
  source.cancel();
  tpl::parallel_options options;
  options.token = source.token();
  std::atomic<int> calls{0};
  tpl::task<> loop = tpl::parallel_for_each_async(std::vector<int>{1, 2, 3}, [&](int) -> tpl::task<> {
    calls.fetch_add(1);
    co_return;
  }, options);
  EXPECT_EQ(loop.status(), tpl::task_status::canceled);
  EXPECT_EQ(calls.load(), 0);
}

TEST(ParallelForEachAsync, MisuseIsRefusedBeforeAnythingStarts) {
  tpl::parallel_options options;
  options.max_degree_of_parallelism = 0;
  auto body = [](int) -> tpl::task<> { co_return; };
  EXPECT_THROW((void)tpl::parallel_for_each_async(std::vector<int>{1}, body, options), std::invalid_argument);
  std::function<tpl::task<>(int)> empty;
  EXPECT_THROW((void)tpl::parallel_for_each_async(std::vector<int>{1}, empty), std::invalid_argument);
}

// .NET adds workers one at a time, as elements are taken: a degree of int.MaxValue over three
// elements starts at most three workers. (Starting the degree's workers up front would allocate
// two billion coroutine frames here.)
TEST(ParallelForEachAsync, AHugeDegreeOverAShortRangeStartsOnlyTheWorkersItNeeds) {
  tpl::parallel_options options;
  options.max_degree_of_parallelism = std::numeric_limits<int>::max();
  std::vector<std::atomic<int>> visits(3);
  tpl::parallel_for_each_async(std::vector<int>{0, 1, 2}, [&](int value) -> tpl::task<> {
    visits[static_cast<std::size_t>(value)].fetch_add(1);
    co_return;
  }, options).get();
  for (auto& each : visits) EXPECT_EQ(each.load(), 1);
}

TEST(ParallelForEachAsync, AnEmptyRangeCompletes) {
  tpl::task<> loop = tpl::parallel_for_each_async(std::vector<int>{}, [](int) -> tpl::task<> { co_return; });
  loop.wait();
  EXPECT_EQ(loop.status(), tpl::task_status::ran_to_completion);
}

}  // namespace
