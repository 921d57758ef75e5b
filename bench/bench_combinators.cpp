// when_all's cost per input, and waiting for a batch of pool tasks: tpl against oneTBB's
// task_group::wait (the closest oneTBB has: it waits for every task run in the group), in one
// run. Every result is checked; a wrong one aborts the run.
//
//   completed      when_all over 1,000 tasks that already completed: copy the handles, count
//                  them down (one atomic operation for all), copy the 1,000 results out
//   pending        when_all over 1,000 completion-source tasks that complete after it
//                  registered (a continuation each, then the countdown); the sources'
//                  own cost (create, complete, destroy) is measured alone as `sources only`
//                  and subtracted in the table
//   batch(1000)    start 1,000 trivial tasks on the pool and wait for all of them:
//                  tpl run() + when_all + get() and run() + wait_all from the main thread (every
//                  run goes through the pool's global queue); the same started and awaited on
//                  a pool worker (its own deque, as oneTBB's arena.execute runs the caller as
//                  a worker); oneTBB task_group run + wait in a task_arena
//
// Worker counts: 1 and 2 by default; TPL_BENCH_WORKERS="1,2,4,8,16" measures others.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tpl/run.hpp>
#include <tpl/task.hpp>
#include <tpl/task_completion_source.hpp>
#include <tpl/thread_pool.hpp>
#include <tpl/wait_all.hpp>
#include <tpl/when_all.hpp>
#include <vector>

#include "bench_support.hpp"

namespace {

constexpr int inputs = 1000;

using tpl_bench::check;

std::string bench_name(const std::string& what, int workers) { return what + "/workers:" + std::to_string(workers); }

void when_all_completed(benchmark::State& state) {
  std::vector<tpl::task<int>> tasks;
  for (int index = 0; index < inputs; ++index) tasks.push_back(tpl::task<int>::from_result(index));
  for (auto _ : state) {
    const std::vector<int> values = tpl::when_all(tasks).get();
    check(values.size() == inputs && values.back() == inputs - 1, "when_all over completed tasks");
  }
}

void sources_only(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<tpl::task_completion_source<int>> sources(inputs);
    std::vector<tpl::task<int>> tasks;
    tasks.reserve(inputs);
    for (auto& source : sources) tasks.push_back(source.task());
    for (int index = 0; index < inputs; ++index) sources[static_cast<std::size_t>(index)].set_result(index);
    check(tasks.back().get() == inputs - 1, "sources");
  }
}

void when_all_pending(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<tpl::task_completion_source<int>> sources(inputs);
    std::vector<tpl::task<int>> tasks;
    tasks.reserve(inputs);
    for (auto& source : sources) tasks.push_back(source.task());
    tpl::task<std::vector<int>> all = tpl::when_all(tasks);
    for (int index = 0; index < inputs; ++index) sources[static_cast<std::size_t>(index)].set_result(index);
    check(all.get().back() == inputs - 1, "when_all over pending tasks");
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::vector<int> counts = tpl_bench::worker_counts();
  std::map<int, std::unique_ptr<tpl::thread_pool>> pools;
  for (int workers : counts) pools[workers] = std::make_unique<tpl::thread_pool>(static_cast<std::size_t>(workers));

  benchmark::RegisterBenchmark("when_all completed", when_all_completed)->UseRealTime();
  benchmark::RegisterBenchmark("sources only", sources_only)->UseRealTime();
  benchmark::RegisterBenchmark("when_all pending", when_all_pending)->UseRealTime();
  for (int workers : counts) {
    tpl::thread_pool* pool = pools[workers].get();
    benchmark::RegisterBenchmark(bench_name("tpl run+when_all", workers).c_str(), [pool](benchmark::State& state) {
      for (auto _ : state) {
        std::vector<tpl::task<int>> tasks;
        tasks.reserve(inputs);
        for (int index = 0; index < inputs; ++index) tasks.push_back(tpl::run(*pool, [index] { return index; }));
        check(tpl::when_all(tasks).get().back() == inputs - 1, "tpl run+when_all");
      }
    })->UseRealTime();
    // As oneTBB's arena.execute does, the batch is started and awaited on a pool worker: the
    // runs go to its own deque, and its wait runs them (they were pushed after the wait began).
    benchmark::RegisterBenchmark(bench_name("tpl on a worker", workers).c_str(), [pool](benchmark::State& state) {
      for (auto _ : state) {
        const int last = tpl::run(*pool, [pool] {
                           std::vector<tpl::task<int>> tasks;
                           tasks.reserve(inputs);
                           for (int index = 0; index < inputs; ++index) tasks.push_back(tpl::run(*pool, [index] { return index; }));
                           return tpl::when_all(tasks).get().back();
                         }).get();
        check(last == inputs - 1, "tpl on a worker");
      }
    })->UseRealTime();
    benchmark::RegisterBenchmark(bench_name("tpl run+wait_all", workers).c_str(), [pool](benchmark::State& state) {
      for (auto _ : state) {
        std::vector<tpl::task<int>> tasks;
        tasks.reserve(inputs);
        for (int index = 0; index < inputs; ++index) tasks.push_back(tpl::run(*pool, [index] { return index; }));
        tpl::wait_all(tasks);
        check(tasks.back().get() == inputs - 1, "tpl run+wait_all");
      }
    })->UseRealTime();
    benchmark::RegisterBenchmark(bench_name("oneTBB run+wait", workers).c_str(), [workers](benchmark::State& state) {
      tbb::task_arena arena(workers);
      std::vector<int> results(inputs);
      for (auto _ : state) {
        arena.execute([&] {
          tbb::task_group group;
          for (int index = 0; index < inputs; ++index) group.run([&results, index] { results[static_cast<std::size_t>(index)] = index; });
          group.wait();
        });
        check(results.back() == inputs - 1, "oneTBB run+wait");
      }
    })->UseRealTime();
  }
  tpl_bench::table_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto per_input = [&](const std::string& name) { return reporter.seconds[name] * 1e9 / inputs; };
  std::printf("\n%-34s %12s\n", "when_all over 1,000 inputs", "ns/input");
  std::printf("%-34s %12.1f\n", "completed", per_input("when_all completed"));
  std::printf("%-34s %12.1f\n", "pending (minus the sources' cost)", per_input("when_all pending") - per_input("sources only"));
  std::printf("%-34s %12.1f\n", "  the sources' own cost", per_input("sources only"));
  std::printf("\n%-22s %7s %12s %10s\n", "batch(1000)", "workers", "ns/task", "vs oneTBB");
  for (int workers : counts) {
    const double tbb = per_input(bench_name("oneTBB run+wait", workers));
    for (const char* library : {"tpl run+when_all", "tpl run+wait_all", "tpl on a worker", "oneTBB run+wait"}) {
      const double each = per_input(bench_name(library, workers));
      std::printf("%-22s %7d %12.1f %9.2fx\n", library, workers, each, each / tbb);
    }
  }
  std::printf("\nvs oneTBB: time divided by oneTBB's at the same worker count.\n");
  return 0;
}
