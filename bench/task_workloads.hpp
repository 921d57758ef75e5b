// The fib and skynet workloads both as tpl coroutine tasks and as oneTBB task_groups, shared by
// bench_fork_join (wall time) and task_instructions (callgrind instruction counts), so the two
// measure the same code.
#pragma once

#include <tbb/task_group.h>

#include <array>
#include <cstdint>
#include <numeric>

#include "tpl/task.hpp"
#include "tpl/yield.hpp"

namespace tpl_bench {

// `spawned`: the caller goes on while this task waits on the worker's deque (a fork).
inline tpl::task<std::int64_t> coroutine_fib(int n, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (n < 2) co_return n;
  tpl::task<std::int64_t> left = coroutine_fib(n - 1, true);
  const std::int64_t right = co_await coroutine_fib(n - 2, false);
  co_return co_await left + right;
}
inline tpl::task<std::int64_t> coroutine_skynet(std::int64_t number, std::int64_t size, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (size == 1) co_return number;
  std::array<tpl::task<std::int64_t>, 10> children;
  for (std::size_t child = 1; child < 10; ++child) {
    children[child] = coroutine_skynet(number + static_cast<std::int64_t>(child) * (size / 10), size / 10, true);
  }
  std::int64_t sum = co_await coroutine_skynet(number, size / 10, false);
  for (std::size_t child = 1; child < 10; ++child) sum += co_await children[child];
  co_return sum;
}

inline std::int64_t tbb_fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  tbb::task_group group;
  group.run([&] { left = tbb_fib(n - 1); });
  const std::int64_t right = tbb_fib(n - 2);
  group.wait();
  return left + right;
}
inline std::int64_t tbb_skynet(std::int64_t number, std::int64_t size) {
  if (size == 1) return number;
  std::array<std::int64_t, 10> sums{};
  tbb::task_group group;
  for (std::int64_t child = 1; child < 10; ++child) {
    group.run([&, child] { sums[static_cast<std::size_t>(child)] = tbb_skynet(number + child * (size / 10), size / 10); });
  }
  sums[0] = tbb_skynet(number, size / 10);
  group.wait();
  return std::accumulate(sums.begin(), sums.end(), std::int64_t{0});
}
}  // namespace tpl_bench
