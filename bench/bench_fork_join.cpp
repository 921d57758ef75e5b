// The classic fork-join workloads on tpl, oneTBB (tbb::task_group in a task_arena), OpenMP
// tasks and plain serial code, in one run, at 1 and 2 workers. Google Benchmark times each
// (real time, several iterations); a table at the end gives seconds, ns per task and the ratio
// to oneTBB. Every result is checked against the known answer; a wrong one aborts the run.
//
//   fib(30)      one task per call, no cutoff: 2,692,537 calls (1,346,268 forks)
//   skynet       10-ary tree, 1,000,000 leaves, 1,111,111 tasks, sum 499999500000
//   nqueens(11)  one task per valid placement, 2680 solutions
//   reduce       recursive halving over 50M integers down to 4096-element leaves
//
// Each also runs as coroutine tasks ("tpl-task", task_workloads.hpp): each call is a tpl::task
// coroutine; a spawned child starts with co_await tpl::yield() (its frame goes on the worker's
// deque, where thieves can take it) and the parent co_awaits it. Frames come from the per-thread
// frame cache. fib and skynet run in both task shapes: one child spawned + one inline (as the
// fork-join and oneTBB versions), and "all" (every child spawned, against oneTBB spawning every
// child); nqueens spawns every placement in every version.
//
// Worker counts: 1 and 2 by default; TPL_BENCH_WORKERS="1,2,4,8,16" measures others (for a
// machine with more cores).
//
// `bench_fork_join --memory` reports the heap bytes of each of 1,000,000 coroutines suspended on one
// completion source and how fast set_result resumes them, then runs tpl's fib(30) once (fork-join
// and coroutine) and reports heap allocations per task and the process's peak resident memory
// (run as its own process so nothing else is counted).
#include <benchmark/benchmark.h>
#include <omp.h>
#include <malloc.h>
#include <sys/resource.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <numeric>
#include <string>
#include <tpl/parallel.hpp>
#include <tpl/run.hpp>
#include <tpl/task_completion_source.hpp>
#include <tpl/task.hpp>
#include <tpl/thread_pool.hpp>
#include <tpl/yield.hpp>
#include <utility>
#include <vector>

#include "allocation_counter.hpp"
#include "bench_support.hpp"
#include "task_workloads.hpp"

namespace {

constexpr int fib_n = 30;
constexpr std::int64_t fib_answer = 832040;
constexpr std::int64_t fib_tasks = 2'692'537;  // calls of fib for n = 30
constexpr int skynet_leaves = 1'000'000;
constexpr std::int64_t skynet_answer = 499'999'500'000;
constexpr std::int64_t skynet_tasks = 1'111'111;
constexpr int queens_n = tpl_bench::queens_board;
constexpr std::int64_t queens_answer = 2680;
constexpr std::int64_t reduce_size = 50'000'000;
using tpl_bench::queen_fits;
using tpl_bench::reduce_grain;
using tpl_bench::serial_sum;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "WRONG RESULT: %s\n", what);
    std::abort();
  }
}

// ---------------- serial ----------------
std::int64_t serial_fib(int n) { return n < 2 ? n : serial_fib(n - 1) + serial_fib(n - 2); }
std::int64_t serial_skynet(std::int64_t number, std::int64_t size) {
  if (size == 1) return number;
  std::int64_t sum = 0;
  for (std::int64_t child = 0; child < 10; ++child) sum += serial_skynet(number + child * (size / 10), size / 10);
  return sum;
}
std::int64_t serial_queens(std::array<int, 16> columns, int row) {
  if (row == queens_n) return 1;
  std::int64_t found = 0;
  for (int column = 0; column < queens_n; ++column) {
    if (!queen_fits(columns, row, column)) continue;
    columns[static_cast<std::size_t>(row)] = column;
    found += serial_queens(columns, row + 1);
  }
  return found;
}
std::int64_t count_queen_tasks(std::array<int, 16> columns, int row) {
  if (row == queens_n) return 0;
  std::int64_t tasks = 0;
  for (int column = 0; column < queens_n; ++column) {
    if (!queen_fits(columns, row, column)) continue;
    columns[static_cast<std::size_t>(row)] = column;
    tasks += 1 + count_queen_tasks(columns, row + 1);
  }
  return tasks;
}
const std::vector<std::int32_t>& reduce_data() {
  static const std::vector<std::int32_t> data = [] {
    std::vector<std::int32_t> values(static_cast<std::size_t>(reduce_size));
    for (std::size_t index = 0; index < values.size(); ++index) values[index] = static_cast<std::int32_t>(index % 1000);
    return values;
  }();
  return data;
}
std::int64_t reduce_answer() { return (reduce_size / 1000) * 499'500; }
std::int64_t serial_reduce(const std::int32_t* first, std::int64_t count) {
  if (count <= reduce_grain) return serial_sum(first, count);
  const std::int64_t half = count / 2;
  return serial_reduce(first, half) + serial_reduce(first + half, count - half);
}
std::int64_t reduce_tasks() {
  std::int64_t tasks = 0;
  auto count = [&](auto& self, std::int64_t size) -> void {
    ++tasks;
    if (size <= reduce_grain) return;
    self(self, size / 2);
    self(self, size - size / 2);
  };
  count(count, reduce_size);
  return tasks;
}

// ---------------- tpl ----------------
std::int64_t tpl_fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tpl::parallel_invoke([&] { left = tpl_fib(n - 1); }, [&] { right = tpl_fib(n - 2); });
  return left + right;
}
template <std::size_t... Child>
std::int64_t tpl_skynet_children(std::int64_t number, std::int64_t size, std::index_sequence<Child...>) {
  std::array<std::int64_t, 10> sums{};
  auto child = [&](std::size_t index) {
    return [&, index] { sums[index] = tpl_skynet_children(number + static_cast<std::int64_t>(index) * (size / 10), size / 10, std::make_index_sequence<10>{}); };
  };
  if (size == 1) return number;
  tpl::parallel_invoke(child(Child)...);
  return std::accumulate(sums.begin(), sums.end(), std::int64_t{0});
}
std::int64_t tpl_skynet(std::int64_t number, std::int64_t size) {
  return tpl_skynet_children(number, size, std::make_index_sequence<10>{});
}
std::int64_t tpl_queens(std::array<int, 16> columns, int row) {
  if (row == queens_n) return 1;
  std::array<std::int64_t, 16> found{};
  std::array<int, 16> candidates{};
  int candidate_count = 0;
  for (int column = 0; column < queens_n; ++column) {
    if (queen_fits(columns, row, column)) candidates[static_cast<std::size_t>(candidate_count++)] = column;
  }
  tpl::parallel_for(
      0, candidate_count,
      [&](int index) {
        std::array<int, 16> next = columns;
        next[static_cast<std::size_t>(row)] = candidates[static_cast<std::size_t>(index)];
        found[static_cast<std::size_t>(index)] = tpl_queens(next, row + 1);
      },
      tpl::parallel_options{nullptr, 1});
  return std::accumulate(found.begin(), found.end(), std::int64_t{0});
}
std::int64_t tpl_reduce(const std::int32_t* first, std::int64_t count) {
  if (count <= reduce_grain) return serial_sum(first, count);
  const std::int64_t half = count / 2;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tpl::parallel_invoke([&] { left = tpl_reduce(first, half); }, [&] { right = tpl_reduce(first + half, count - half); });
  return left + right;
}

// ---------------- tpl coroutine tasks and oneTBB's fib / skynet: task_workloads.hpp ----------------
using tpl_bench::coroutine_fib;
using tpl_bench::coroutine_fib_all_spawned;
using tpl_bench::coroutine_queens;
using tpl_bench::coroutine_reduce;
using tpl_bench::coroutine_skynet;
using tpl_bench::coroutine_skynet_all_spawned;
using tpl_bench::tbb_fib;
using tpl_bench::tbb_fib_all_spawned;
using tpl_bench::tbb_queens;
using tpl_bench::tbb_reduce;
using tpl_bench::tbb_skynet;
using tpl_bench::tbb_skynet_all_spawned;
// From outside the pool: run the root coroutine on a worker and block for its result.
std::int64_t run_coroutine(tpl::thread_pool& pool, tpl::task<std::int64_t> (*root)()) {
  return tpl::run(pool, root).get();
}

// ---------------- OpenMP tasks ----------------
std::int64_t omp_fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
#pragma omp task shared(left) firstprivate(n)
  left = omp_fib(n - 1);
  const std::int64_t right = omp_fib(n - 2);
#pragma omp taskwait
  return left + right;
}
std::int64_t omp_skynet(std::int64_t number, std::int64_t size) {
  if (size == 1) return number;
  std::array<std::int64_t, 10> sums{};
  for (std::int64_t child = 1; child < 10; ++child) {
#pragma omp task shared(sums) firstprivate(child, number, size)
    sums[static_cast<std::size_t>(child)] = omp_skynet(number + child * (size / 10), size / 10);
  }
  sums[0] = omp_skynet(number, size / 10);
#pragma omp taskwait
  return std::accumulate(sums.begin(), sums.end(), std::int64_t{0});
}
std::int64_t omp_queens(std::array<int, 16> columns, int row) {
  if (row == queens_n) return 1;
  std::array<std::int64_t, 16> found{};
  for (int column = 0; column < queens_n; ++column) {
    if (!queen_fits(columns, row, column)) continue;
#pragma omp task shared(found) firstprivate(columns, column, row)
    {
      std::array<int, 16> next = columns;
      next[static_cast<std::size_t>(row)] = column;
      found[static_cast<std::size_t>(column)] = omp_queens(next, row + 1);
    }
  }
#pragma omp taskwait
  return std::accumulate(found.begin(), found.end(), std::int64_t{0});
}
std::int64_t omp_reduce(const std::int32_t* first, std::int64_t count) {
  if (count <= reduce_grain) return serial_sum(first, count);
  const std::int64_t half = count / 2;
  std::int64_t left = 0;
#pragma omp task shared(left) firstprivate(first, half)
  left = omp_reduce(first, half);
  const std::int64_t right = omp_reduce(first + half, count - half);
#pragma omp taskwait
  return left + right;
}

// ---------------- the harness ----------------
struct workload {
  const char* name;
  std::int64_t tasks;
  std::int64_t answer;
  std::int64_t (*serial)();
  std::int64_t (*tpl)();                  // the fork-join version (parallel_invoke / parallel_for), or nullptr
  std::int64_t (*tbb)();
  std::int64_t (*omp)();                  // or nullptr
  tpl::task<std::int64_t> (*tpl_task)();  // the coroutine-task version, or nullptr
};

std::int64_t run_omp(std::int64_t (*body)(), int threads) {
  std::int64_t result = 0;
  omp_set_num_threads(threads);
#pragma omp parallel
#pragma omp single
  result = body();
  return result;
}

std::vector<workload> workloads() {
  static const std::int64_t queen_tasks = count_queen_tasks({}, 0);
  static const std::int64_t reduction_tasks = reduce_tasks();
  return {
      {"fib(30)", fib_tasks, fib_answer, [] { return serial_fib(fib_n); }, [] { return tpl_fib(fib_n); },
       [] { return tbb_fib(fib_n); }, [] { return omp_fib(fib_n); }, [] { return coroutine_fib(fib_n, false); }},
      {"skynet", skynet_tasks, skynet_answer, [] { return serial_skynet(0, skynet_leaves); },
       [] { return tpl_skynet(0, skynet_leaves); }, [] { return tbb_skynet(0, skynet_leaves); },
       [] { return omp_skynet(0, skynet_leaves); }, [] { return coroutine_skynet(0, skynet_leaves, false); }},
      {"fib(30) all", fib_tasks, fib_answer, [] { return serial_fib(fib_n); }, nullptr,
       [] { return tbb_fib_all_spawned(fib_n); }, nullptr, [] { return coroutine_fib_all_spawned(fib_n, false); }},
      {"skynet all", skynet_tasks, skynet_answer, [] { return serial_skynet(0, skynet_leaves); }, nullptr,
       [] { return tbb_skynet_all_spawned(0, skynet_leaves); }, nullptr,
       [] { return coroutine_skynet_all_spawned(0, skynet_leaves, false); }},
      {"nqueens(11)", queen_tasks, queens_answer, [] { return serial_queens({}, 0); }, [] { return tpl_queens({}, 0); },
       [] { return tbb_queens({}, 0); }, [] { return omp_queens({}, 0); }, [] { return coroutine_queens({}, 0, false); }},
      {"reduce 50M", reduction_tasks, reduce_answer(), [] { return serial_reduce(reduce_data().data(), reduce_size); },
       [] { return tpl_reduce(reduce_data().data(), reduce_size); },
       [] { return tbb_reduce(reduce_data().data(), reduce_size); },
       [] { return omp_reduce(reduce_data().data(), reduce_size); },
       [] { return coroutine_reduce(reduce_data().data(), reduce_size, false); }},
  };
}

struct result_key {
  std::string workload;
  std::string library;
  int workers;
  bool operator<(const result_key& other) const {
    return std::tie(workload, library, workers) < std::tie(other.workload, other.library, other.workers);
  }
};

std::string bench_name(const std::string& workload, const std::string& library, int workers) {
  return workload + "/" + library + "/workers:" + std::to_string(workers);
}

// One of a million coroutines suspended on one completion source's task: what a .NET async
// method awaiting an incomplete task costs while it waits.
tpl::task<std::int64_t> await_gate(const tpl::task<std::int64_t>& gate) { co_return co_await gate + 1; }

// Heap bytes in use (glibc's count of allocated chunks, headers included).
std::size_t heap_in_use() {
  const struct mallinfo2 heap = mallinfo2();
  return heap.uordblks + heap.hblkhd;
}

void suspended_coroutines_report() {
  constexpr std::size_t count = 1'000'000;
  tpl::task_completion_source<std::int64_t> source;
  const tpl::task<std::int64_t> gate = source.task();
  std::vector<tpl::task<std::int64_t>> waiting;
  waiting.reserve(count);  // the handles' own 8 bytes each are not counted below
  const std::size_t before = heap_in_use();
  for (std::size_t index = 0; index < count; ++index) waiting.push_back(await_gate(gate));
  const std::size_t after = heap_in_use();
  for (const auto& each : waiting) check(!each.is_completed(), "a waiter completed before its gate");
  const auto started = std::chrono::steady_clock::now();
  source.set_result(41);  // resumes every waiter on this thread, newest first
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& each : waiting) check(each.is_completed() && each.get() == 42, "a waiter's result");
  std::printf("%zu coroutines suspended on one completion source: %.1f heap bytes each (frame + malloc header); "
              "set_result resumed them in %.1f ns each\n",
              count, static_cast<double>(after - before) / static_cast<double>(count),
              seconds * 1e9 / static_cast<double>(count));
}

int memory_report() {
  suspended_coroutines_report();
  tpl::thread_pool pool(1);
  tpl_bench::start_counting_allocations();
  const std::uint64_t before = tpl_bench::allocation_count();
  std::int64_t result = 0;
  tpl::parallel_invoke(tpl::parallel_options{&pool}, [&] { result = tpl_fib(fib_n); });
  const std::uint64_t used = tpl_bench::allocation_count() - before;
  check(result == fib_answer, "tpl fib(30)");
  const std::uint64_t before_coroutines = tpl_bench::allocation_count();
  check(run_coroutine(pool, [] { return coroutine_fib(fib_n, false); }) == fib_answer, "tpl coroutine fib(30)");
  const std::uint64_t used_by_coroutines = tpl_bench::allocation_count() - before_coroutines;
  std::printf("tpl coroutine-task fib(30), 1 worker: %llu heap allocations for %lld tasks (%.6f per task)\n",
              static_cast<unsigned long long>(used_by_coroutines), static_cast<long long>(fib_tasks),
              static_cast<double>(used_by_coroutines) / static_cast<double>(fib_tasks));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("tpl fib(30), 1 worker: %llu heap allocations for %lld tasks (%.6f per task); peak RSS %ld KiB\n",
              static_cast<unsigned long long>(used), static_cast<long long>(fib_tasks),
              static_cast<double>(used) / static_cast<double>(fib_tasks), usage.ru_maxrss);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--memory") == 0) return memory_report();
  benchmark::Initialize(&argc, argv);
  const std::vector<workload> all = workloads();
  (void)reduce_data();  // build the 50M-element input before anything is timed
  const std::vector<int> counts = tpl_bench::worker_counts();
  std::map<int, std::unique_ptr<tpl::thread_pool>> pools;
  for (int workers : counts) pools[workers] = std::make_unique<tpl::thread_pool>(static_cast<std::size_t>(workers));

  for (const workload& each : all) {
    benchmark::RegisterBenchmark(bench_name(each.name, "serial", 1).c_str(), [each](benchmark::State& state) {
      for (auto _ : state) check(each.serial() == each.answer, each.name);
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
    for (int workers : counts) {
      tpl::thread_pool* pool = pools[workers].get();
      if (each.tpl != nullptr) {
        benchmark::RegisterBenchmark(bench_name(each.name, "tpl", workers).c_str(), [each, pool](benchmark::State& state) {
          for (auto _ : state) {
            std::int64_t result = 0;
            tpl::parallel_invoke(tpl::parallel_options{pool}, [&] { result = each.tpl(); });
            check(result == each.answer, each.name);
          }
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
      }
      if (each.tpl_task != nullptr) {
        benchmark::RegisterBenchmark(bench_name(each.name, "tpl-task", workers).c_str(), [each, pool](benchmark::State& state) {
          for (auto _ : state) check(run_coroutine(*pool, each.tpl_task) == each.answer, each.name);
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
      }
      benchmark::RegisterBenchmark(bench_name(each.name, "oneTBB", workers).c_str(), [each, workers](benchmark::State& state) {
        tbb::task_arena arena(workers);
        for (auto _ : state) {
          std::int64_t result = 0;
          arena.execute([&] { result = each.tbb(); });
          check(result == each.answer, each.name);
        }
      })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
      if (each.omp != nullptr) {
        benchmark::RegisterBenchmark(bench_name(each.name, "OpenMP", workers).c_str(), [each, workers](benchmark::State& state) {
          for (auto _ : state) check(run_omp(each.omp, workers) == each.answer, each.name);
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
      }
    }
  }
  tpl_bench::table_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\n%-12s %-8s %7s %10s %11s %12s\n", "workload", "library", "workers", "seconds", "ns/task",
              "vs oneTBB");
  for (const workload& each : all) {
    for (int workers : counts) {
      const auto tbb = reporter.seconds.find(bench_name(each.name, "oneTBB", workers));
      if (tbb == reporter.seconds.end()) continue;  // filtered out of this run
      const double tbb_seconds = tbb->second;
      for (const char* library : {"serial", "tpl", "tpl-task", "oneTBB", "OpenMP"}) {
        const bool serial = std::strcmp(library, "serial") == 0;
        if (serial && workers != counts.front()) continue;  // one serial row per workload
        const auto found = reporter.seconds.find(bench_name(each.name, library, serial ? 1 : workers));
        if (found == reporter.seconds.end()) continue;
        std::printf("%-12s %-8s %7d %10.4f %11.1f %11.2fx\n", each.name, library, workers, found->second,
                    found->second * 1e9 / static_cast<double>(each.tasks), found->second / tbb_seconds);
      }
    }
  }
  std::printf("\nvs oneTBB: time divided by oneTBB's time at the same worker count (below 1: faster).\n");
  return 0;
}
