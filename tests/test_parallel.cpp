// parallel_invoke / parallel_for / parallel_for_each: results, exceptions, nesting, blocking
// joins inside workers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <sstream>
#include <ranges>
#include <mutex>
#include <memory>
#include <iterator>
#include <fstream>
#include <filesystem>
#include <limits>
#include <list>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <tpl/parallel.hpp>
#include <vector>

namespace {

std::int64_t fib(tpl::thread_pool& pool, int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tpl::parallel_invoke(tpl::parallel_options{&pool}, [&] { left = fib(pool, n - 1); },
                       [&] { right = fib(pool, n - 2); });
  return left + right;
}

std::int64_t serial_fib(int n) { return n < 2 ? n : serial_fib(n - 1) + serial_fib(n - 2); }

// The what() of every inner exception, in order.
std::vector<std::string> messages_of(const tpl::aggregate_exception& error) {
  std::vector<std::string> messages;
  for (const auto& each : error.inner_exceptions()) {
    try {
      std::rethrow_exception(each);
    } catch (const std::exception& inner) {
      messages.push_back(inner.what());
    }
  }
  return messages;
}

class ParallelOnPools : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ParallelOnPools, BlockingJoinsInsideWorkersComplete) {
  // fib(25): 242,785 nested parallel_invoke calls, each joining (blocking) inside a worker.
  tpl::thread_pool pool(GetParam());
  EXPECT_EQ(fib(pool, 25), serial_fib(25));
}

TEST_P(ParallelOnPools, JoinRunsItsChildBelowALaterSubmission) {
  // A frame whose child lies below an item the frame submitted after forking (so the join's
  // pop returns that item, not the child) runs both: both were pushed after the fork, so the
  // wait may run them (one worker, or peers asleep).
  tpl::thread_pool pool(GetParam());
  for (int round = 0; round < 20; ++round) {
    std::atomic<bool> child_ran{false};
    tpl::parallel_invoke(
        tpl::parallel_options{&pool},
        [&] { tpl::detail::current_worker()->pool().submit([] {}); },
        [&] { child_ran.store(true); });
    EXPECT_TRUE(child_ran.load());
  }
  pool.shutdown();  // drains any submitted item a peer has not finished
}

TEST_P(ParallelOnPools, DeepRecursionOfJoinsDoesNotOverflow) {
  tpl::thread_pool pool(GetParam());
  std::function<int(int)> descend = [&](int depth) -> int {
    if (depth == 0) return 0;
    int below = 0;
    int side = 0;
    tpl::parallel_invoke(tpl::parallel_options{&pool}, [&] { below = descend(depth - 1); }, [&] { side = 1; });
    return below + side;
  };
  EXPECT_EQ(descend(2000), 2000);
}

TEST_P(ParallelOnPools, ParallelForVisitsEveryIndexOnce) {
  tpl::thread_pool pool(GetParam());
  std::vector<std::atomic<int>> visits(10'000);
  tpl::parallel_for(0, 10'000, [&](int index) { visits[static_cast<std::size_t>(index)].fetch_add(1); },
                    tpl::parallel_options{&pool});
  for (const auto& each : visits) ASSERT_EQ(each.load(), 1);
}

TEST_P(ParallelOnPools, NestedParallelForInsideParallelFor) {
  tpl::thread_pool pool(GetParam());
  std::atomic<std::int64_t> sum{0};
  tpl::parallel_for(
      0, 100,
      [&](int outer) {
        tpl::parallel_for(0, 100, [&](int inner) { sum.fetch_add(outer * 100 + inner); }, {&pool, 7});
      },
      {&pool, 3});
  EXPECT_EQ(sum.load(), 9999LL * 10000 / 2);
}

INSTANTIATE_TEST_SUITE_P(Workers, ParallelOnPools, ::testing::Values(1, 2, 4));

TEST(ParallelInvoke, RunsEveryPieceOnTheDefaultPool) {
  std::atomic<int> ran{0};
  tpl::parallel_invoke([&] { ran.fetch_add(1); }, [&] { ran.fetch_add(10); }, [&] { ran.fetch_add(100); },
                       [&] { ran.fetch_add(1000); });
  EXPECT_EQ(ran.load(), 1111);
  int single = 0;
  tpl::parallel_invoke([&] { single = 5; });
  EXPECT_EQ(single, 5);
}

TEST(ParallelInvoke, CollectsEveryExceptionInPieceOrder) {
  tpl::thread_pool pool(2);
  std::atomic<int> finished{0};
  try {
    tpl::parallel_invoke(
        tpl::parallel_options{&pool}, [&] { throw std::runtime_error("first"); },
        [&] { finished.fetch_add(1); }, [&] { throw std::logic_error("third"); },
        [&] { throw std::out_of_range("fourth"); });
    FAIL() << "expected an aggregate_exception";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 3u);
    EXPECT_EQ(messages_of(error), (std::vector<std::string>{"first", "third", "fourth"}));
  }
  EXPECT_EQ(finished.load(), 1);  // the piece that did not throw still ran
}

TEST(ParallelFor, EmptyAndSingleRanges) {
  int calls = 0;
  tpl::parallel_for(5, 5, [&](int) { ++calls; });
  tpl::parallel_for(5, 2, [&](int) { ++calls; });
  EXPECT_EQ(calls, 0);
  tpl::parallel_for(7, 8, [&](int index) { calls += index; });
  EXPECT_EQ(calls, 7);
}

// Every index once at the edges of 64-bit types, where a signed count overflows (issue 10:
// indices were cast to int64_t).
TEST(ParallelFor, FullWidthRangesVisitEveryIndexOnce) {
  const std::uint64_t middle = std::uint64_t{1} << 63;
  std::vector<std::atomic<int>> seen(10);
  tpl::parallel_for(middle - 5, middle + 5, [&](std::uint64_t index) { seen[index - (middle - 5)].fetch_add(1); },
                    {nullptr, 1});
  for (const auto& each : seen) EXPECT_EQ(each.load(), 1);

  std::vector<std::atomic<int>> narrow(256);
  tpl::parallel_for(std::int8_t{-128}, std::int8_t{127}, [&](std::int8_t index) { narrow[index + 128].fetch_add(1); },
                    {nullptr, 3});
  for (int index = 0; index < 255; ++index) EXPECT_EQ(narrow[index].load(), 1) << index;
  EXPECT_EQ(narrow[255].load(), 0);
  std::vector<std::atomic<int>> signed_edges(4);
  const std::int64_t low = std::numeric_limits<std::int64_t>::min();
  tpl::parallel_for(low, low + 2, [&](std::int64_t index) { signed_edges[index - low].fetch_add(1); });
  const std::int64_t high = std::numeric_limits<std::int64_t>::max();
  tpl::parallel_for(high - 2, high, [&](std::int64_t index) { signed_edges[2 + (index - (high - 2))].fetch_add(1); });
  for (const auto& each : signed_edges) EXPECT_EQ(each.load(), 1);
}

// Ranges of 2^64 - 1 indices cannot run to the end in a test; their first iterations can: each
// leaf starts at an index inside the range, and a throwing body stops them all.
TEST(ParallelFor, RangesOfTwoToTheSixtyFourMinusOneIndicesStartInsideTheRange) {
  std::atomic<int> calls{0};
  auto stop_at_once = [&calls](auto) {
    calls.fetch_add(1);
    throw std::runtime_error("stop");
  };
  EXPECT_THROW(tpl::parallel_for(std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max(), stop_at_once),
               tpl::aggregate_exception);
  EXPECT_GE(calls.load(), 1);  // before: nothing ran (the end, cast to int64_t, was -1)
  std::atomic<bool> outside{false};
  const std::int64_t low = std::numeric_limits<std::int64_t>::min() + 1;
  const std::int64_t high = std::numeric_limits<std::int64_t>::max();
  EXPECT_THROW(tpl::parallel_for(low, high,
                                 [&](std::int64_t index) {
                                   if (index < low || index >= high) outside.store(true);
                                   throw std::runtime_error("stop");
                                 }),
               tpl::aggregate_exception);
  EXPECT_FALSE(outside.load());
}

TEST(ParallelFor, ExceptionsAreAllCollectedAndEveryStartedBodyEnds) {
  tpl::thread_pool pool(2);
  std::atomic<int> started{0};
  std::atomic<int> ended{0};
  try {
    tpl::parallel_for(
        0, 64,
        [&](int index) {
          started.fetch_add(1);
          struct end_counter {
            std::atomic<int>& ended;
            ~end_counter() { ended.fetch_add(1); }
          } counted{ended};
          if (index % 2 == 0) throw std::runtime_error("even " + std::to_string(index));
        },
        {&pool, 1});
    FAIL() << "expected an aggregate_exception";
  } catch (const tpl::aggregate_exception& error) {
    EXPECT_GE(error.inner_exceptions().size(), 1u);
    const std::vector<std::string> messages = messages_of(error);
    const std::set<std::string> distinct(messages.begin(), messages.end());
    EXPECT_EQ(distinct.size(), error.inner_exceptions().size());  // each thrown once, none lost
  }
  EXPECT_EQ(started.load(), ended.load());  // nothing still running after the throw
}

TEST(ParallelForEach, VisitsVectorAndListElements) {
  std::vector<int> numbers(1000);
  std::iota(numbers.begin(), numbers.end(), 1);
  tpl::parallel_for_each(numbers, [](int& value) { value *= 2; });
  EXPECT_EQ(std::accumulate(numbers.begin(), numbers.end(), 0LL), 1000LL * 1001);
  std::list<int> linked(numbers.begin(), numbers.end());
  std::atomic<long long> sum{0};
  tpl::parallel_for_each(linked, [&](int value) { sum.fetch_add(value); });
  EXPECT_EQ(sum.load(), 1000LL * 1001);
}

TEST(AggregateException, FlattenAndHandle) {
  tpl::aggregate_exception inner({std::make_exception_ptr(std::runtime_error("a")),
                                  std::make_exception_ptr(std::logic_error("b"))});
  tpl::aggregate_exception outer({std::make_exception_ptr(inner), std::make_exception_ptr(std::out_of_range("c"))});
  EXPECT_EQ(outer.flatten().inner_exceptions().size(), 3u);
  EXPECT_NO_THROW(outer.flatten().handle([](const std::exception_ptr&) { return true; }));
  try {
    outer.flatten().handle([](const std::exception_ptr& each) {
      try {
        std::rethrow_exception(each);
      } catch (const std::logic_error&) {
        return true;  // logic_error and its child out_of_range are handled
      } catch (...) {
        return false;
      }
    });
    FAIL() << "the runtime_error was not handled and must be rethrown";
  } catch (const tpl::aggregate_exception& rest) {
    EXPECT_EQ(rest.inner_exceptions().size(), 1u);
  }
  EXPECT_NE(std::string(outer.what()).find("one or more errors occurred"), std::string::npos);
}

TEST(AggregateException, HandleRefusesAnEmptyPredicateEvenWithNoInnerExceptions) {
  const std::function<bool(const std::exception_ptr&)> empty;
  tpl::aggregate_exception one({std::make_exception_ptr(std::runtime_error("a"))});
  EXPECT_THROW(one.handle(empty), std::invalid_argument);
  tpl::aggregate_exception none(std::vector<std::exception_ptr>{});
  EXPECT_THROW(none.handle(empty), std::invalid_argument);
}

// Issue 28, item 3: single-pass ranges. parallel_for_each kept copies of input iterators and
// dereferenced them later, but copies of an input iterator share their position: a recursive
// directory iterator segfaulted, and std::views::istream did not compile.
TEST(ParallelForEach, RecursiveDirectoryIteratorVisitsEveryFileOnce) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) / "tpl_parallel_for_each_tree";
  fs::remove_all(root);
  std::set<std::string> expected;
  for (int directory = 0; directory < 6; ++directory) {
    // (path pieces from streams, not "d" + std::to_string(...): g++ 12 -O3 gives a false
    // -Wrestrict on that concatenation)
    std::ostringstream directory_name;
    directory_name << 'd' << directory;
    const fs::path sub = root / directory_name.str() / "inner";
    fs::create_directories(sub);
    for (int file = 0; file < 40; ++file) {
      std::ostringstream file_name;
      file_name << 'f' << file << ".txt";
      const fs::path name = (file % 2 == 0 ? sub : sub.parent_path()) / file_name.str();
      std::ofstream(name) << file;
      expected.insert(name.string());
    }
  }
  std::mutex mutex;
  std::multiset<std::string> seen;
  tpl::parallel_for_each(fs::recursive_directory_iterator(root), [&](const fs::directory_entry& entry) {
    if (!entry.is_regular_file()) return;
    std::lock_guard lock(mutex);
    seen.insert(entry.path().string());
  });
  fs::remove_all(root);
  EXPECT_EQ(seen.size(), expected.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
}

TEST(ParallelForEach, IstreamViewVisitsEveryNumberOnce) {
  std::ostringstream numbers;  // (not string +=: g++ 12 -O3 gives a false -Wrestrict there)
  for (int number = 1; number <= 5000; ++number) numbers << number << ' ';
  std::istringstream input(numbers.str());
  std::atomic<std::int64_t> sum{0};
  std::atomic<int> calls{0};
  tpl::parallel_for_each(std::views::istream<int>(input), [&](int number) {
    sum.fetch_add(number);
    calls.fetch_add(1);
  });
  EXPECT_EQ(calls.load(), 5000);
  EXPECT_EQ(sum.load(), std::int64_t{5000} * 5001 / 2);
}

// A generator-like range: a move-only input iterator that makes each value when advanced, and
// whose value is gone once it moves on.
class counting_generator {
 public:
  class iterator {
   public:
    using difference_type = std::ptrdiff_t;
    using value_type = std::unique_ptr<int>;
    iterator() = default;
    explicit iterator(int limit) : current_(std::make_unique<int>(0)), limit_(limit) {}
    iterator(iterator&&) = default;
    iterator& operator=(iterator&&) = default;
    std::unique_ptr<int>& operator*() const { return current_; }
    iterator& operator++() {
      current_ = std::make_unique<int>(++made_);  // the previous value (if not moved out) is destroyed
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return made_ >= limit_; }

   private:
    mutable std::unique_ptr<int> current_;
    int made_ = 0;
    int limit_ = 0;
  };
  explicit counting_generator(int limit) : limit_(limit) {}
  iterator begin() { return iterator(limit_); }
  std::default_sentinel_t end() { return {}; }

 private:
  int limit_;
};

TEST(ParallelForEach, GeneratorLikeRangeWithMoveOnlyIteratorsAndValues) {
  static_assert(std::ranges::input_range<counting_generator> && !std::ranges::forward_range<counting_generator>);
  std::vector<std::atomic<int>> visits(3000);
  tpl::parallel_for_each(counting_generator(3000), [&](std::unique_ptr<int>& value) {
    ASSERT_NE(value, nullptr);
    visits[static_cast<std::size_t>(*value)].fetch_add(1);
  });
  for (std::size_t index = 0; index < visits.size(); ++index) EXPECT_EQ(visits[index].load(), 1) << index;
}

TEST(ParallelForEach, SinglePassRangeStopsPullingAfterAThrowAndCollectsIt) {
  std::ostringstream numbers;
  for (int number = 0; number < 10000; ++number) numbers << number << ' ';
  std::istringstream input(numbers.str());
  std::atomic<int> calls{0};
  try {
    tpl::parallel_for_each(std::views::istream<int>(input), [&](int number) {
      calls.fetch_add(1);
      if (number == 10) throw std::runtime_error("ten");
    });
    FAIL() << "no exception";
  } catch (const tpl::aggregate_exception& error) {
    ASSERT_EQ(error.inner_exceptions().size(), 1u);
  }
  EXPECT_LT(calls.load(), 10000);  // pulling stopped (at most a few chunks of 64 after the throw)
}

}  // namespace
