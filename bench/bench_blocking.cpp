// "Sync over async": tasks that block on their subtasks (.NET's Task.Run(...).Result pattern),
// on tpl and on oneTBB (tbb::task_group::wait in a task_arena), in one run, with the serial
// recursion as the floor. Every result is checked; a wrong one aborts the run.
//
//   tree(16)   a binary tree of 65,535 tasks; each inner task starts its two children and
//              blocks on both (tpl: run + get(); oneTBB: task_group run + wait); each leaf
//              does ~1 µs of arithmetic
//
// tpl's rule (docs/pool.md): a blocking wait on a worker runs the awaited task inline only if it
// is the newest item of its own deque; otherwise the worker parks and a spare thread runs the
// pool's work. Here the first child's wait finds the second child on top, so it parks: the
// table reports how many threads that took at peak. oneTBB's wait runs any available task on
// the waiting thread (no extra threads, at the price of the nesting hazard tpl avoids).
//
// Worker counts: 1 and 2 by default; TPL_BENCH_WORKERS="1,2,4,8,16" measures others.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tpl/run.hpp>
#include <tpl/task.hpp>
#include <tpl/thread_pool.hpp>
#include <vector>

#include "bench_support.hpp"

namespace {

constexpr int tree_depth = 16;
constexpr std::int64_t tree_tasks = (std::int64_t{1} << tree_depth) - 1;

using tpl_bench::check;

// ~1 µs of arithmetic the optimiser cannot remove; returns 1.
std::int64_t leaf_work(std::int64_t seed) {
  std::uint64_t state = static_cast<std::uint64_t>(seed) | 1u;
  for (int round = 0; round < 400; ++round) state ^= state << 13, state ^= state >> 7, state ^= state << 17;
  benchmark::DoNotOptimize(state);
  return 1;
}

std::int64_t serial_tree(int depth, std::int64_t seed) {
  if (depth == 1) return leaf_work(seed);
  return serial_tree(depth - 1, seed * 2) + serial_tree(depth - 1, seed * 2 + 1);
}

std::int64_t tpl_tree(tpl::thread_pool& pool, int depth, std::int64_t seed) {
  if (depth == 1) return leaf_work(seed);
  auto left = tpl::run(pool, [&pool, depth, seed] { return tpl_tree(pool, depth - 1, seed * 2); });
  auto right = tpl::run(pool, [&pool, depth, seed] { return tpl_tree(pool, depth - 1, seed * 2 + 1); });
  return left.get() + right.get();
}

std::int64_t tbb_tree(int depth, std::int64_t seed) {
  if (depth == 1) return leaf_work(seed);
  std::int64_t left = 0;
  std::int64_t right = 0;
  tbb::task_group group;
  group.run([&] { left = tbb_tree(depth - 1, seed * 2); });
  group.run([&] { right = tbb_tree(depth - 1, seed * 2 + 1); });
  group.wait();
  return left + right;
}

std::string bench_name(const std::string& library, int workers) {
  return "tree(16)/" + library + "/workers:" + std::to_string(workers);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::vector<int> counts = tpl_bench::worker_counts();
  std::map<int, std::unique_ptr<tpl::thread_pool>> pools;
  for (int workers : counts) pools[workers] = std::make_unique<tpl::thread_pool>(static_cast<std::size_t>(workers));

  benchmark::RegisterBenchmark(bench_name("serial", 1).c_str(), [](benchmark::State& state) {
    for (auto _ : state) check(serial_tree(tree_depth, 1) == (tree_tasks + 1) / 2, "serial tree");
  })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
  for (int workers : counts) {
    tpl::thread_pool* pool = pools[workers].get();
    benchmark::RegisterBenchmark(bench_name("tpl", workers).c_str(), [pool](benchmark::State& state) {
      for (auto _ : state) {
        const std::int64_t leaves = tpl::run(*pool, [pool] { return tpl_tree(*pool, tree_depth, 1); }).get();
        check(leaves == (tree_tasks + 1) / 2, "tpl tree");
      }
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
    benchmark::RegisterBenchmark(bench_name("oneTBB", workers).c_str(), [workers](benchmark::State& state) {
      tbb::task_arena arena(workers);
      for (auto _ : state) {
        std::int64_t leaves = 0;
        arena.execute([&] { leaves = tbb_tree(tree_depth, 1); });
        check(leaves == (tree_tasks + 1) / 2, "oneTBB tree");
      }
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
  }
  tpl_bench::table_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\n%-10s %-8s %7s %10s %11s %10s %13s\n", "workload", "library", "workers", "seconds", "ns/task",
              "vs oneTBB", "peak threads");
  for (int workers : counts) {
    const auto tbb = reporter.seconds.find(bench_name("oneTBB", workers));
    if (tbb == reporter.seconds.end()) continue;
    for (const char* library : {"serial", "tpl", "oneTBB"}) {
      const std::string name(library);
      if (name == "serial" && workers != counts.front()) continue;
      const auto found = reporter.seconds.find(bench_name(name, name == "serial" ? 1 : workers));
      if (found == reporter.seconds.end()) continue;
      const std::size_t threads = name == "tpl" ? pools[workers]->peak_thread_count()
                                  : name == "serial" ? 1
                                                     : static_cast<std::size_t>(workers);
      std::printf("%-10s %-8s %7d %10.4f %11.1f %9.2fx %13zu\n", "tree(16)", library, workers, found->second,
                  found->second * 1e9 / static_cast<double>(tree_tasks), found->second / tbb->second, threads);
    }
  }
  std::printf("\nvs oneTBB: time divided by oneTBB's time at the same worker count. peak threads: tpl's\n"
              "thread_pool::peak_thread_count() (core workers + spares alive at once); oneTBB's arena size.\n");
  return 0;
}
