// The coroutine-task workloads and their oneTBB task_group counterparts, shared by
// bench_fork_join (wall time) and task_instructions (callgrind instruction counts), so the two
// measure the same code.
//
// Two task shapes, as issue 13 asks:
//   one spawned + one inline   the parent spawns every child but the first, which it runs itself
//                              (fib, skynet, reduce: oneTBB's classic task_group recursion)
//   all spawned                every child is spawned, the parent only waits (`*_all_spawned`,
//                              and nqueens, whose oneTBB version spawns every placement)
// A spawned coroutine child starts with co_await tpl::yield(): its frame goes on the worker's
// deque, where thieves can take it, and the parent goes on until it co_awaits the child.
#pragma once

#include <tbb/task_group.h>

#include <array>
#include <cstdint>
#include <numeric>

#include "tpl/task.hpp"
#include "tpl/yield.hpp"

namespace tpl_bench {

inline constexpr int queens_board = 11;
inline constexpr std::int64_t reduce_grain = 4096;

inline bool queen_fits(const std::array<int, 16>& columns, int row, int column) {
  for (int earlier = 0; earlier < row; ++earlier) {
    const int other = columns[static_cast<std::size_t>(earlier)];
    if (other == column || other - column == row - earlier || column - other == row - earlier) return false;
  }
  return true;
}
inline std::int64_t serial_sum(const std::int32_t* first, std::int64_t count) {
  std::int64_t sum = 0;
  for (std::int64_t index = 0; index < count; ++index) sum += first[index];
  return sum;
}

// ---------------- tpl coroutine tasks ----------------
inline tpl::task<std::int64_t> coroutine_fib(int n, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (n < 2) co_return n;
  tpl::task<std::int64_t> left = coroutine_fib(n - 1, true);
  const std::int64_t right = co_await coroutine_fib(n - 2, false);
  co_return co_await left + right;
}
inline tpl::task<std::int64_t> coroutine_fib_all_spawned(int n, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (n < 2) co_return n;
  tpl::task<std::int64_t> left = coroutine_fib_all_spawned(n - 1, true);
  tpl::task<std::int64_t> right = coroutine_fib_all_spawned(n - 2, true);
  const std::int64_t left_value = co_await left;
  co_return left_value + co_await right;
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
inline tpl::task<std::int64_t> coroutine_skynet_all_spawned(std::int64_t number, std::int64_t size, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (size == 1) co_return number;
  std::array<tpl::task<std::int64_t>, 10> children;
  for (std::size_t child = 0; child < 10; ++child) {
    children[child] =
        coroutine_skynet_all_spawned(number + static_cast<std::int64_t>(child) * (size / 10), size / 10, true);
  }
  std::int64_t sum = 0;
  for (std::size_t child = 0; child < 10; ++child) sum += co_await children[child];
  co_return sum;
}
inline tpl::task<std::int64_t> coroutine_queens(std::array<int, 16> columns, int row, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (row == queens_board) co_return 1;
  std::array<tpl::task<std::int64_t>, 16> placements;
  std::size_t count = 0;
  for (int column = 0; column < queens_board; ++column) {
    if (!queen_fits(columns, row, column)) continue;
    std::array<int, 16> next = columns;
    next[static_cast<std::size_t>(row)] = column;
    placements[count++] = coroutine_queens(next, row + 1, true);
  }
  std::int64_t found = 0;
  for (std::size_t index = 0; index < count; ++index) found += co_await placements[index];
  co_return found;
}
inline tpl::task<std::int64_t> coroutine_reduce(const std::int32_t* first, std::int64_t count, bool spawned) {
  if (spawned) co_await tpl::yield();
  if (count <= reduce_grain) co_return serial_sum(first, count);
  const std::int64_t half = count / 2;
  tpl::task<std::int64_t> left = coroutine_reduce(first, half, true);
  const std::int64_t right = co_await coroutine_reduce(first + half, count - half, false);
  co_return co_await left + right;
}

// ---------------- oneTBB task_group ----------------
inline std::int64_t tbb_fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  tbb::task_group group;
  group.run([&] { left = tbb_fib(n - 1); });
  const std::int64_t right = tbb_fib(n - 2);
  group.wait();
  return left + right;
}
inline std::int64_t tbb_fib_all_spawned(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tbb::task_group group;
  group.run([&] { left = tbb_fib_all_spawned(n - 1); });
  group.run([&] { right = tbb_fib_all_spawned(n - 2); });
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
inline std::int64_t tbb_skynet_all_spawned(std::int64_t number, std::int64_t size) {
  if (size == 1) return number;
  std::array<std::int64_t, 10> sums{};
  tbb::task_group group;
  for (std::int64_t child = 0; child < 10; ++child) {
    group.run([&, child] {
      sums[static_cast<std::size_t>(child)] = tbb_skynet_all_spawned(number + child * (size / 10), size / 10);
    });
  }
  group.wait();
  return std::accumulate(sums.begin(), sums.end(), std::int64_t{0});
}
inline std::int64_t tbb_queens(std::array<int, 16> columns, int row) {
  if (row == queens_board) return 1;
  std::array<std::int64_t, 16> found{};
  tbb::task_group group;
  for (int column = 0; column < queens_board; ++column) {
    if (!queen_fits(columns, row, column)) continue;
    group.run([&, column] {
      std::array<int, 16> next = columns;
      next[static_cast<std::size_t>(row)] = column;
      found[static_cast<std::size_t>(column)] = tbb_queens(next, row + 1);
    });
  }
  group.wait();
  return std::accumulate(found.begin(), found.end(), std::int64_t{0});
}
inline std::int64_t tbb_reduce(const std::int32_t* first, std::int64_t count) {
  if (count <= reduce_grain) return serial_sum(first, count);
  const std::int64_t half = count / 2;
  std::int64_t left = 0;
  tbb::task_group group;
  group.run([&] { left = tbb_reduce(first, half); });
  const std::int64_t right = tbb_reduce(first + half, count - half);
  group.wait();
  return left + right;
}
}  // namespace tpl_bench
