// value_task<T> against task<T> on a mostly-synchronous workload: a buffered reader whose read()
// completes from its buffer 99 times in 100 and must refill (asynchronously) once. One consumer
// coroutine reads a batch; on a refill it suspends and the driver completes the refill, which
// resumes it inline. Reported per read: time, and heap allocations (allocation_counter.cpp).
//
//   task                 read() returns task<int>: from_result on a hit (one allocation),
//                        a completion source's task on a refill
//   value_task_task      value_task<int>: from_result on a hit (none), a task on a refill
//   value_task_pooled    value_task<int>: from_result on a hit, a reused
//                        manual_reset_value_task_source on a refill (none at all)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>

#include "allocation_counter.hpp"
#include "bench_support.hpp"
#include "tpl/manual_reset_value_task_source.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/value_task.hpp"

namespace {

constexpr int reads_per_batch = 10'000;
constexpr int buffer_size = 100;  // one refill per 100 reads

// A refill that a completion source's task stands for, completed by the driver.
struct task_refill {
  std::optional<tpl::task_completion_source<int>> refill;

  tpl::task<int> begin_refill() {
    refill.emplace();
    return refill->task();
  }
  bool complete_refill() {
    if (!refill) return false;
    auto source = std::move(*refill);
    refill.reset();
    source.set_result(1);
    return true;
  }
};

struct task_reader : task_refill {
  int position = 0;

  tpl::task<int> read() {
    if (++position % buffer_size != 0) return tpl::task<int>::from_result(1);
    return begin_refill();
  }
};

struct value_task_reader : task_refill {
  int position = 0;

  tpl::value_task<int> read() {
    if (++position % buffer_size != 0) return tpl::value_task<int>::from_result(1);
    return tpl::value_task<int>(begin_refill());
  }
};

struct pooled_reader {
  int position = 0;
  bool refilling = false;
  tpl::manual_reset_value_task_source<int> refill;

  tpl::value_task<int> read() {
    if (++position % buffer_size != 0) return tpl::value_task<int>::from_result(1);
    refill.reset();  // the previous refill was consumed: reuse the source
    refilling = true;
    return refill.task();
  }
  bool complete_refill() {
    if (!refilling) return false;
    refilling = false;
    refill.set_result(1);
    return true;
  }
};

template <class Reader>
tpl::task<int> read_batch(Reader* reader) {
  int total = 0;
  for (int index = 0; index < reads_per_batch; ++index) total += co_await reader->read();
  co_return total;
}

template <class Reader>
void mostly_synchronous_reads(benchmark::State& state) {
  Reader reader;
  tpl_bench::start_counting_allocations();
  const std::uint64_t allocations_before = tpl_bench::allocation_count();
  for (auto _ : state) {
    tpl::task<int> batch = read_batch(&reader);
    while (!batch.is_completed()) tpl_bench::check(reader.complete_refill(), "a suspended batch waits for a refill");
    tpl_bench::check(batch.get() == reads_per_batch, "every read returns 1");
  }
  const double reads = static_cast<double>(state.iterations()) * reads_per_batch;
  state.SetItemsProcessed(static_cast<std::int64_t>(reads));
  state.counters["ns_per_read"] = benchmark::Counter(reads, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_read"] = static_cast<double>(tpl_bench::allocation_count() - allocations_before) / reads;
}

BENCHMARK(mostly_synchronous_reads<task_reader>)->Name("task");
BENCHMARK(mostly_synchronous_reads<value_task_reader>)->Name("value_task_task");
BENCHMARK(mostly_synchronous_reads<pooled_reader>)->Name("value_task_pooled");

}  // namespace

BENCHMARK_MAIN();
