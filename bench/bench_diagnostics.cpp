// What tpl::diagnostics costs: the coroutine fib and skynet of bench_fork_join (one task per
// call) and the fork-join fib (no tasks: pool items only), with recording off (the default),
// recording on, and a tracer that does nothing installed. Build the same file with
// -DTPL_DIAGNOSTICS=OFF (scripts/diagnostics_overhead.sh does both) for the hooks compiled out.
//
// Arguments: the mode (0 off, 1 recording, 2 empty tracer).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>

#include "task_workloads.hpp"
#include "tpl/diagnostics.hpp"
#include "tpl/diagnostics_tracer.hpp"
#include "tpl/parallel.hpp"
#include "tpl/run.hpp"
#include "tpl/thread_pool.hpp"

namespace {

constexpr int fib_n = 25;
constexpr std::int64_t fib_answer = 75025;
constexpr std::int64_t skynet_leaves = 100'000;
constexpr std::int64_t skynet_answer = 4'999'950'000;

class empty_tracer final : public tpl::diagnostics::tracer {};

// Sets the mode for one benchmark run and restores "off" after it.
class diagnostics_mode {
 public:
  explicit diagnostics_mode(std::int64_t mode) {
    if (mode == 1) tpl::diagnostics::enable();
    if (mode == 2) tpl::diagnostics::set_tracer(&tracer_);
  }
  ~diagnostics_mode() {
    tpl::diagnostics::disable();
    tpl::diagnostics::set_tracer(nullptr);
  }
  diagnostics_mode(const diagnostics_mode&) = delete;
  diagnostics_mode& operator=(const diagnostics_mode&) = delete;

 private:
  empty_tracer tracer_;
};

// TPL_BENCH_WORKERS=n: a pool of n workers (default: one per hardware thread); callgrind runs
// use 1, so that no idle worker's spinning is counted.
tpl::thread_pool& bench_pool() {
  static tpl::thread_pool pool([] {
    const char* workers = std::getenv("TPL_BENCH_WORKERS");
    return workers != nullptr ? static_cast<std::size_t>(std::strtoul(workers, nullptr, 10)) : std::size_t{0};
  }());
  return pool;
}

std::int64_t fork_join_fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tpl::parallel_invoke([&] { left = fork_join_fib(n - 1); }, [&] { right = fork_join_fib(n - 2); });
  return left + right;
}

void check(bool ok, benchmark::State& state) {
  if (!ok) state.SkipWithError("wrong answer");
}

void coroutine_fib(benchmark::State& state) {
  tpl::thread_pool& pool = bench_pool();
  for (auto _ : state) {
    diagnostics_mode mode(state.range(0));
    check(tpl::run(pool, [] { return tpl_bench::coroutine_fib(fib_n, false); }).get() == fib_answer, state);
  }
}

void coroutine_skynet(benchmark::State& state) {
  tpl::thread_pool& pool = bench_pool();
  for (auto _ : state) {
    diagnostics_mode mode(state.range(0));
    check(tpl::run(pool, [] { return tpl_bench::coroutine_skynet(0, skynet_leaves, false); }).get() == skynet_answer,
          state);
  }
}

void fork_join_fib(benchmark::State& state) {
  tpl::thread_pool& pool = bench_pool();
  for (auto _ : state) {
    diagnostics_mode mode(state.range(0));
    check(tpl::run(pool, [] { return fork_join_fib(fib_n + 3); }).get() == 317811, state);
  }
}

}  // namespace

#if TPL_DIAGNOSTICS
BENCHMARK(coroutine_fib)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(coroutine_skynet)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(fork_join_fib)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
#else
BENCHMARK(coroutine_fib)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(coroutine_skynet)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(fork_join_fib)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
