// Stress of tpl's tasks for ThreadSanitizer and AddressSanitizer+UBSan (+LeakSanitizer):
//   1. many completion sources, each awaited by several coroutines started on pool workers,
//      completed (result, exception or canceled) from foreign threads while the awaiters
//      register: every awaiter resumes exactly once with the right outcome;
//   2. coroutine fork-join (fib with yield(): children spawned on workers, awaited, stolen);
//   3. continuation chains registered while their antecedents complete on other threads, and
//      workers that block in get() on tasks other workers run;
//   4. the last handle of a task dropped on one thread while another completes it.
// Leaks of frames or shared states are LeakSanitizer reports at exit. Synchronisation is on
// events (joins, task completion), never on sleeps.
//
// Usage: stress_tasks [sources]
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tpl/continue_with.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/yield.hpp"

namespace {

using tpl::task;

int failures = 0;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "stress_tasks: FAILED: %s\n", what);
    ++failures;
  }
}

enum class outcome { value, error, canceled };
outcome outcome_for(std::size_t index) {
  if (index % 11 == 0) return outcome::canceled;
  if (index % 7 == 0) return outcome::error;
  return outcome::value;
}

struct tally {
  std::atomic<std::int64_t> value_sum{0};
  std::atomic<int> errors{0};
  std::atomic<int> cancellations{0};
};

task<> await_and_tally(task<int> awaited, tally* into) {
  try {
    into->value_sum.fetch_add(co_await awaited, std::memory_order_relaxed);
  } catch (const tpl::task_canceled&) {
    into->cancellations.fetch_add(1, std::memory_order_relaxed);
  } catch (const std::runtime_error&) {
    into->errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void sources_awaited_by_many(tpl::thread_pool& pool, std::size_t source_count) {
  constexpr int awaiters_per_source = 8;
  constexpr int completer_count = 3;
  std::vector<tpl::task_completion_source<int>> sources;
  sources.reserve(source_count);
  for (std::size_t index = 0; index < source_count; ++index) {
    sources.emplace_back(index % 2 == 0 ? tpl::task_creation_options::none
                                        : tpl::task_creation_options::run_continuations_asynchronously);
  }
  tally seen;
  std::vector<task<>> awaiters;
  awaiters.reserve(source_count * awaiters_per_source);
  std::vector<std::thread> completers;
  for (int completer = 0; completer < completer_count; ++completer) {
    completers.emplace_back([&, completer] {
      for (std::size_t index = static_cast<std::size_t>(completer); index < source_count; index += completer_count) {
        switch (outcome_for(index)) {
          case outcome::value: sources[index].set_result(static_cast<int>(index)); break;
          case outcome::error:
            sources[index].set_exception(std::make_exception_ptr(std::runtime_error("stress")));
            break;
          case outcome::canceled: sources[index].set_canceled(); break;
        }
      }
    });
  }
  // Awaiters start on pool workers while the completers run.
  for (std::size_t index = 0; index < source_count; ++index) {
    for (int copy = 0; copy < awaiters_per_source; ++copy) {
      awaiters.push_back(tpl::run(pool, [awaited = sources[index].task(), into = &seen] { return await_and_tally(awaited, into); }));
    }
  }
  for (auto& completer : completers) completer.join();
  for (auto& awaiter : awaiters) awaiter.get();
  std::int64_t expected_sum = 0;
  int expected_errors = 0;
  int expected_cancellations = 0;
  for (std::size_t index = 0; index < source_count; ++index) {
    switch (outcome_for(index)) {
      case outcome::value: expected_sum += static_cast<std::int64_t>(index) * awaiters_per_source; break;
      case outcome::error: expected_errors += awaiters_per_source; break;
      case outcome::canceled: expected_cancellations += awaiters_per_source; break;
    }
  }
  check(seen.value_sum.load() == expected_sum, "every awaiter of a value saw it once");
  check(seen.errors.load() == expected_errors, "every awaiter of a fault saw it once");
  check(seen.cancellations.load() == expected_cancellations, "every awaiter of a cancellation saw it once");
}

task<std::int64_t> fib(int n) {
  if (n < 2) co_return n;
  co_await tpl::yield();  // the rest runs from a worker's deque: thieves take it
  task<std::int64_t> left = fib(n - 1);
  const std::int64_t right = co_await fib(n - 2);
  co_return co_await left + right;
}

void coroutine_fork_join(tpl::thread_pool& pool) {
  check(tpl::run(pool, [] { return fib(20); }).get() == 6765, "coroutine fib(20)");
}

void continuations_and_blocking_waits(tpl::thread_pool& pool, std::size_t count) {
  std::vector<tpl::task_completion_source<int>> sources(count);
  std::vector<task<int>> chains;
  chains.reserve(count);
  std::thread completer([&] {
    for (std::size_t index = 0; index < count; ++index) sources[index].set_result(static_cast<int>(index));
  });
  for (std::size_t index = 0; index < count; ++index) {
    const auto options = index % 2 == 0 ? tpl::continuation_options::execute_synchronously : tpl::continuation_options::none;
    auto plus_one = tpl::continue_with(sources[index].task(), pool, [](const task<int>& done) { return done.get() + 1; }, options);
    chains.push_back(tpl::continue_with(plus_one, pool, [](const task<int>& done) { return done.get() * 2; }));
  }
  // Workers blocking on tasks that other workers (or the completer) finish.
  std::vector<task<std::int64_t>> blockers;
  for (int worker_task = 0; worker_task < 8; ++worker_task) {
    blockers.push_back(tpl::run(pool, [&chains, worker_task] {
      std::int64_t sum = 0;
      for (std::size_t index = static_cast<std::size_t>(worker_task); index < chains.size(); index += 8) sum += chains[index].get();
      return sum;
    }));
  }
  completer.join();
  std::int64_t total = 0;
  for (auto& blocker : blockers) total += blocker.get();
  std::int64_t expected = 0;
  for (std::size_t index = 0; index < count; ++index) expected += (static_cast<std::int64_t>(index) + 1) * 2;
  check(total == expected, "continuation chains and blocking waits");
}

task<int> add_one(task<int> awaited) { co_return co_await awaited + 1; }

void last_handle_races_completion(std::size_t count) {
  std::atomic<int> completed_awaiters{0};
  for (std::size_t index = 0; index < count; ++index) {
    auto source = std::make_unique<tpl::task_completion_source<int>>();
    task<int> awaiting = add_one(source->task());
    auto observer = tpl::continue_with(awaiting, [&completed_awaiters](const task<int>& done) {
      if (done.get() == 2) completed_awaiters.fetch_add(1, std::memory_order_relaxed);
    }, tpl::continuation_options::execute_synchronously);
    std::thread dropper([handle = std::move(awaiting)]() mutable { handle = task<int>(); });
    std::thread completer([&source] { source->set_result(1); });
    dropper.join();
    completer.join();
    observer.wait();
  }
  check(completed_awaiters.load() == static_cast<int>(count), "every coroutine finished whoever dropped its handle");
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t sources = argc > 1 ? static_cast<std::size_t>(std::strtoul(argv[1], nullptr, 10)) : 2000;
  {
    tpl::thread_pool pool(3);
    sources_awaited_by_many(pool, sources);
    coroutine_fork_join(pool);
    continuations_and_blocking_waits(pool, sources);
  }
  last_handle_races_completion(sources / 10);
  if (failures != 0) return 1;
  std::puts("stress_tasks: all checks passed");
  return 0;
}
