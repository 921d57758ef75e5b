// parallel_options' token and max_degree_of_parallelism, and parallel_loop_state's stop() /
// break_() in parallel_for and parallel_for_each, against .NET's rules for Parallel.For.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <numeric>
#include <ranges>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tpl/cancellation_token_source.hpp>
#include <tpl/parallel.hpp>
#include "support/concurrency_probe.hpp"
#include <vector>

namespace {

// A body that stays inside the probe for a few yields of its thread, so that bodies a limit
// fails to hold back overlap it.
void occupy(tpl_test::concurrency_probe& probe) {
  probe.enter();
  for (int spin = 0; spin < 20; ++spin) std::this_thread::yield();
  probe.leave();
}
TEST(ParallelOptions, ACanceledTokenEndsTheLoopBeforeAnyIterationWithOneOperationCanceled) {
  tpl::cancellation_token_source source;
  source.cancel();
  std::atomic<int> calls{0};
  tpl::parallel_options options;
  options.token = source.token();
  try {
    tpl::parallel_for(0, 1000, [&](int) { calls.fetch_add(1); }, options);
    FAIL() << "no exception";
  } catch (const tpl::operation_canceled& canceled) {
    EXPECT_TRUE(canceled.token() == source.token());
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(ParallelOptions, CancelingDuringTheLoopStopsNewIterationsAndThrowsOneOperationCanceled) {
  tpl::thread_pool pool(1);  // one worker: iterations run in index order, so the count is exact
  tpl::cancellation_token_source source;
  std::atomic<int> calls{0};
  tpl::parallel_options options{&pool};
  options.token = source.token();
  try {
    tpl::parallel_for(
        0, 1000,
        [&](int index) {
          calls.fetch_add(1);
          if (index == 10) source.cancel();
        },
        options);
    FAIL() << "no exception";
  } catch (const tpl::operation_canceled& canceled) {
    EXPECT_TRUE(canceled.token() == source.token());
  }
  EXPECT_EQ(calls.load(), 11);
}

TEST(ParallelOptions, BodiesThrowingTheLoopsCancellationAreReportedAsOneOperationCanceled) {
  tpl::thread_pool pool(4);
  tpl::cancellation_token_source source;
  tpl::parallel_options options{&pool, 1};
  options.token = source.token();
  const tpl::cancellation_token token = source.token();
  EXPECT_THROW(tpl::parallel_for(
                   0, 64,
                   [&](int index) {
                     if (index == 3) source.cancel();
                     token.throw_if_cancellation_requested();
                   },
                   options),
               tpl::operation_canceled);
}

TEST(ParallelOptions, AnotherExceptionWinsOverCancellation) {
  tpl::thread_pool pool(1);
  tpl::cancellation_token_source source;
  tpl::parallel_options options{&pool};
  options.token = source.token();
  try {
    tpl::parallel_for(
        0, 100,
        [&](int index) {
          if (index == 5) {
            source.cancel();
            throw std::runtime_error("five");
          }
        },
        options);
    FAIL() << "no exception";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 1u);
    EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), std::runtime_error);
  }
}

TEST(ParallelOptions, MaxDegreeOfParallelismBoundsTheBodiesRunningAtOnce) {
  tpl::thread_pool pool(4);
  for (int limit : {1, 2, 3}) {
    tpl_test::concurrency_probe probe;
    std::vector<std::atomic<int>> visits(2000);
    tpl::parallel_options options{&pool};
    options.max_degree_of_parallelism = limit;
    const auto result = tpl::parallel_for(
        0, 2000,
        [&](int index) {
          visits[static_cast<std::size_t>(index)].fetch_add(1);
          occupy(probe);
        },
        options);
    EXPECT_TRUE(result.is_completed);
    EXPECT_LE(probe.highest.load(), limit) << "limit " << limit;
    for (auto& each : visits) ASSERT_EQ(each.load(), 1);
  }
}

TEST(ParallelOptions, MaxDegreeOfParallelismBoundsSinglePassAndListLoops) {
  tpl::thread_pool pool(4);
  std::ostringstream numbers;
  for (int number = 0; number < 3000; ++number) numbers << number << ' ';
  std::istringstream input(numbers.str());
  tpl_test::concurrency_probe probe;
  std::atomic<long> sum{0};
  tpl::parallel_options options{&pool};
  options.max_degree_of_parallelism = 2;
  tpl::parallel_for_each(std::views::istream<int>(input), [&](int number) {
    sum.fetch_add(number);
    occupy(probe);
  }, options);
  EXPECT_EQ(sum.load(), 3000L * 2999 / 2);
  EXPECT_LE(probe.highest.load(), 2);

  std::list<int> list(1000, 1);
  tpl_test::concurrency_probe list_probe;
  options.max_degree_of_parallelism = 1;
  tpl::parallel_for_each(list, [&](int) { occupy(list_probe); }, options);
  EXPECT_EQ(list_probe.highest.load(), 1);
}

TEST(ParallelOptions, InvalidDegreesAndNullBodiesAreRefusedBeforeAnyIteration) {
  for (int bad : {0, -2, -100}) {
    tpl::parallel_options options;
    options.max_degree_of_parallelism = bad;
    EXPECT_THROW(tpl::parallel_for(0, 10, [](int) {}, options), std::invalid_argument) << bad;
    std::vector<int> values(3);
    EXPECT_THROW(tpl::parallel_for_each(values, [](int) {}, options), std::invalid_argument) << bad;
  }
  std::function<void(int)> empty;
  EXPECT_THROW(tpl::parallel_for(0, 10, empty), std::invalid_argument);
}

TEST(ParallelLoopState, StopEndsTheLoopAfterTheIterationsAlreadyRunning) {
  tpl::thread_pool pool(1);  // index order: nothing after the stopping iteration starts
  std::atomic<int> calls{0};
  const auto result = tpl::parallel_for(
      0, 1000,
      [&](int index, tpl::parallel_loop_state& state) {
        calls.fetch_add(1);
        EXPECT_FALSE(state.is_stopped());
        if (index == 7) {
          state.stop();
          EXPECT_TRUE(state.is_stopped());
          EXPECT_TRUE(state.should_exit_current_iteration());
        }
      },
      tpl::parallel_options{&pool});
  EXPECT_FALSE(result.is_completed);
  EXPECT_FALSE(result.lowest_break_iteration.has_value());
  EXPECT_EQ(calls.load(), 8);
}

TEST(ParallelLoopState, BreakRunsEveryIterationBelowTheLowestBreakOnManyWorkers) {
  tpl::thread_pool pool(4);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::atomic<int>> visits(5000);
    const auto result = tpl::parallel_for(
        std::int64_t{-1000}, std::int64_t{4000},
        [&](std::int64_t index, tpl::parallel_loop_state& state) {
          visits[static_cast<std::size_t>(index + 1000)].fetch_add(1);
          if (index == 1500 || index == 3000) state.break_();
        },
        tpl::parallel_options{&pool, 16});
    EXPECT_FALSE(result.is_completed);
    ASSERT_TRUE(result.lowest_break_iteration.has_value());
    // Every iteration below 1500 runs, so 1500 always breaks, and nothing lower does.
    EXPECT_EQ(*result.lowest_break_iteration, 1500);
    for (std::size_t slot = 0; slot < visits.size(); ++slot) {
      ASSERT_LE(visits[slot].load(), 1) << slot;
      if (slot <= 2500) {
        ASSERT_EQ(visits[slot].load(), 1) << slot;
      }
    }
  }
}

TEST(ParallelLoopState, LowestBreakIterationIsTheUsersIndexForNegativeRanges) {
  tpl::thread_pool pool(2);
  const auto result = tpl::parallel_for(
      -100, 100,
      [&](int index, tpl::parallel_loop_state& state) {
        if (index == -50) state.break_();
        if (index < -50) {
          EXPECT_FALSE(state.should_exit_current_iteration());
        }
      },
      tpl::parallel_options{&pool});
  ASSERT_TRUE(result.lowest_break_iteration.has_value());
  EXPECT_EQ(*result.lowest_break_iteration, -50);
}

TEST(ParallelLoopState, StopAfterBreakAndBreakAfterStopThrowInvalidOperation) {
  tpl::thread_pool pool(1);
  for (bool stop_first : {true, false}) {
    try {
      tpl::parallel_for(
          0, 10,
          [&](int index, tpl::parallel_loop_state& state) {
            if (index != 0) return;
            if (stop_first) {
              state.stop();
              state.break_();
            } else {
              state.break_();
              state.stop();
            }
          },
          tpl::parallel_options{&pool});
      FAIL() << "no exception";
    } catch (const tpl::aggregate_exception& error) {
      ASSERT_EQ(error.inner_exceptions().size(), 1u);
      EXPECT_THROW(std::rethrow_exception(error.inner_exceptions()[0]), tpl::invalid_operation);
    }
  }
}

// Waits for `condition`, at most 10 s (a bound that only a broken loop reaches).
template <class Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(ParallelLoopState, ARunningIterationSeesIsExceptionalAfterAnotherThrew) {
  tpl::thread_pool pool(2);
  std::atomic<bool> second_started{false};
  std::atomic<bool> second_saw_exceptional{false};
  EXPECT_THROW(tpl::parallel_for(
                   0, 2,
                   [&](int index, tpl::parallel_loop_state& state) {
                     if (index == 0) {
                       ASSERT_TRUE(eventually([&] { return second_started.load(); }));
                       throw std::runtime_error("first");
                     }
                     second_started = true;
                     EXPECT_FALSE(state.is_stopped());
                     second_saw_exceptional = eventually([&] { return state.is_exceptional(); });
                     EXPECT_TRUE(state.should_exit_current_iteration());
                   },
                   tpl::parallel_options{&pool, 1}),
               tpl::aggregate_exception);
  EXPECT_TRUE(second_saw_exceptional.load());
}

TEST(ParallelLoopState, ForEachNumbersElementsByPositionInEveryKindOfRange) {
  tpl::thread_pool pool(3);
  std::vector<int> values(500);
  std::iota(values.begin(), values.end(), 0);
  std::list<int> list(values.begin(), values.end());
  std::ostringstream text;
  for (int value : values) text << value << ' ';
  std::istringstream input(text.str());

  auto check = [&](auto&& range, const char* kind) {
    std::vector<std::atomic<int>> visits(500);
    const auto result = tpl::parallel_for_each(
        range,
        [&](int value, tpl::parallel_loop_state& state) {
          visits[static_cast<std::size_t>(value)].fetch_add(1);
          if (value == 200) state.break_();
        },
        tpl::parallel_options{&pool});
    ASSERT_TRUE(result.lowest_break_iteration.has_value()) << kind;
    EXPECT_EQ(*result.lowest_break_iteration, 200) << kind;
    for (int value = 0; value <= 200; ++value) EXPECT_EQ(visits[static_cast<std::size_t>(value)].load(), 1) << kind << ' ' << value;
  };
  check(values, "vector");
  check(list, "list");
  check(std::views::istream<int>(input), "istream");
}

}  // namespace
