// `make demo`, part two: the seeds' own async/await example, in C++ with tpl's tasks.
//
// The C# it follows (../shared/seeds, the Spanish note on Task, async and await):
//
//   async Task<int> FastTask()   { await Task.Delay(1000); return 1; }   // also Normal, Slow
//   var t1 = FastTask(); var t2 = NormalTask(); var t3 = SlowTask();
//   await Task.WhenAll(t1, t2, t3);
//   Console.WriteLine($"Numbers: {t1.Result}, {t2.Result} and {t3.Result}");
//   var numbers = await Task.WhenAll(FastTask(), NormalTask(), SlowTask());
//   try { await Task.WhenAll(FastTask(), NormalTask(), FailTask()); } catch (Exception ex) { ... }
//
// The three tasks co_await tpl::delay (the timer, not a thread, waits), so they overlap on no
// thread at all and all end on time; then a when_any race against a timeout. After that: a
// failing task whose exception is caught (by co_await, as thrown; by get(), as an aggregate),
// continuations (continue_with, with options), a task_completion_source completed from another
// thread, and cancellation: a long computation canceled by a token after a deadline
// (cancel_after), a registered callback, and the task ending canceled.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/delay.hpp"
#include "tpl/diagnostics.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/when_all.hpp"
#include "tpl/when_any.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
const clock_type::time_point start = clock_type::now();

double seconds_since_start() { return std::chrono::duration<double>(clock_type::now() - start).count(); }

// Busy work for about `milliseconds` (the producer thread's and the long computation's).
std::int64_t compute_for(int milliseconds) {
  const auto until = clock_type::now() + std::chrono::milliseconds(milliseconds);
  std::int64_t steps = 0;
  while (clock_type::now() < until) ++steps;
  return steps;
}

// The seed's FastTask / NormalTask / SlowTask: wait `milliseconds` without holding a thread.
tpl::task<int> counter_task(const char* name, int milliseconds, int value) {
  std::printf("  [%5.3f s] %s starts (%d ms)\n", seconds_since_start(), name, milliseconds);
  co_await tpl::delay(std::chrono::milliseconds(milliseconds));
  std::printf("  [%5.3f s] %s done\n", seconds_since_start(), name);
  co_return value;
}

tpl::task<int> fail_task() {
  co_await tpl::delay(std::chrono::milliseconds(20));
  throw std::runtime_error("FailTask: something went wrong");
}

tpl::task<> main_async(std::thread& producer) {
  std::puts("1. Three tasks of different lengths, started together, awaited with when_all:");
  const std::size_t threads_before = tpl::thread_pool::default_pool().peak_thread_count();
  double began = seconds_since_start();
  tpl::task<int> fast = counter_task("FastTask", 50, 1);
  tpl::task<int> normal = counter_task("NormalTask", 150, 2);
  tpl::task<int> slow = counter_task("SlowTask", 300, 3);
  co_await tpl::when_all(fast, normal, slow);
  std::printf("  Numbers: %d, %d and %d; all done %.3f s after they started (the longest waits 0.300 s)\n", fast.get(),
              normal.get(), slow.get(), seconds_since_start() - began);
  began = seconds_since_start();
  std::vector<tpl::task<int>> three{counter_task("FastTask", 50, 1), counter_task("NormalTask", 150, 2),
                                    counter_task("SlowTask", 300, 3)};
  const std::vector<int> numbers = co_await tpl::when_all(three);
  std::printf("  when_all(range) = %d - %d - %d in %.3f s; pool threads at peak: %zu before, %zu after (none was\n"
              "  held while the tasks waited)\n",
              numbers[0], numbers[1], numbers[2], seconds_since_start() - began, threads_before,
              tpl::thread_pool::default_pool().peak_thread_count());

  std::puts("\n   A race against a timeout, with when_any:");
  auto race = co_await tpl::when_any(counter_task("SlowTask", 300, 3), tpl::delay(std::chrono::milliseconds(100)));
  std::printf("  when_any: input %zu won (%s)\n", race.index, race.index == 1 ? "the 100 ms timeout" : "the slow task");

  std::puts("\n   when_all with a failing task: co_await rethrows the first fault, get() has them all:");
  tpl::task<std::tuple<int, int, int>> with_failure = tpl::when_all(counter_task("FastTask", 50, 1), fail_task(), fail_task());
  try {
    co_await with_failure;
  } catch (const std::runtime_error& error) {
    std::printf("  co_await: %s\n", error.what());
  }
  try {
    (void)with_failure.get();
  } catch (const tpl::aggregate_exception& error) {
    for (const std::exception_ptr& each : error.inner_exceptions()) {
      try {
        std::rethrow_exception(each);
      } catch (const std::exception& inner) {
        std::printf("  caught exception: %s\n", inner.what());
      }
    }
  }

  std::puts("\n2. A failing task, its exception caught:");
  tpl::task<int> failing = fail_task();
  try {
    co_await failing;
  } catch (const std::runtime_error& error) {
    std::printf("  co_await rethrew it as thrown: %s\n", error.what());
  }
  try {
    failing.get();
  } catch (const tpl::aggregate_exception& error) {
    std::printf("  get() threw an aggregate_exception with %zu inner exception(s)\n", error.inner_exceptions().size());
  }
  std::printf("  status: %s\n", failing.is_faulted() ? "faulted" : "not faulted");

  std::puts("\n3. Continuations:");
  tpl::task<int> doubled = tpl::continue_with(fast, [](const tpl::task<int>& done) { return done.get() * 2; });
  tpl::task<std::string> on_fault = tpl::continue_with(
      failing, [](const tpl::task<int>& done) { return std::string("handled: ") + (done.exception() ? "faulted" : "?"); },
      tpl::continuation_options::only_on_faulted);
  tpl::task<std::string> on_success = tpl::continue_with(
      failing, [](const tpl::task<int>&) { return std::string("never runs"); },
      tpl::continuation_options::only_on_ran_to_completion);
  std::printf("  continue_with(FastTask, x2) = %d\n", co_await doubled);
  std::printf("  only_on_faulted continuation: %s\n", (co_await on_fault).c_str());
  try {
    co_await on_success;
  } catch (const tpl::task_canceled&) {
    std::puts("  only_on_ran_to_completion continuation: canceled (its condition did not hold)");
  }

  std::puts("\n4. A task_completion_source completed from another thread:");
  tpl::task_completion_source<std::string> source;
  producer = std::thread([&source] {
    compute_for(30);
    source.set_result("hello from the producer thread");
  });
  const std::thread::id producer_id = producer.get_id();
  const std::string message = co_await source.task();
  std::printf("  awaited: \"%s\"; resumed on the producer's thread inside set_result: %s\n", message.c_str(),
              std::this_thread::get_id() == producer_id ? "yes (as .NET runs await continuations inline)" : "no");

  std::puts("\n5. Cancellation: a long computation, a deadline, a callback:");
  tpl::cancellation_token_source deadline;
  const tpl::cancellation_token token = deadline.token();
  tpl::cancellation_registration on_cancel = token.register_callback(
      [] { std::printf("  [%5.3f s] callback: cancellation requested\n", seconds_since_start()); });
  deadline.cancel_after(std::chrono::milliseconds(100));
  const double long_start = seconds_since_start();
  tpl::task<std::int64_t> long_computation = tpl::run(
      [token] {
        std::int64_t steps = 0;
        for (;;) {  // would run for ever: it stops by observing the token
          steps += compute_for(1);
          token.throw_if_cancellation_requested();
        }
        return steps;
      },
      token);
  try {
    co_await long_computation;
  } catch (const tpl::task_canceled& canceled) {
    std::printf("  [%5.3f s] the computation ended after %.3f s: task_canceled (for our token: %s)\n",
                seconds_since_start(), seconds_since_start() - long_start, canceled.token() == token ? "yes" : "no");
  }
  std::printf("  status: %s\n", long_computation.is_canceled() ? "canceled" : "not canceled");
}

// A coroutine that waits for an order to arrive (diagnostics name it by its signature).
tpl::task<int> await_order(tpl::task<int> order) { co_return co_await order + 1; }

// tpl::diagnostics: a snapshot of a program with pending tasks, printed as JSON: a completion
// source nobody has set yet, two coroutines awaiting it, a continuation of one of them, and a
// cancellation source with a registration.
void print_diagnostics_snapshot() {
  std::puts("\n5. diagnostics: a snapshot of the pending tasks (JSON)");
  tpl::diagnostics::enable();
  {
    tpl::task_completion_source<int> order;
    tpl::task<int> first = await_order(order.task());
    tpl::task<int> second = await_order(order.task());
    tpl::task<int> doubled = tpl::continue_with(first, [](const tpl::task<int>& done) { return done.get() * 2; });
    tpl::cancellation_token_source shutdown;
    tpl::cancellation_registration on_shutdown = shutdown.token().register_callback([] {});
    const tpl::diagnostics::program_snapshot pending = tpl::diagnostics::snapshot();
    std::printf("  %zu tasks pending, %zu pools, %zu cancellation sources\n", pending.tasks.size(), pending.pools.size(),
                pending.cancellation_sources.size());
    for (const tpl::diagnostics::task_info& task : pending.tasks) {
      const tpl::diagnostics::task_info* awaited = task.waiting_for ? pending.find(*task.waiting_for) : nullptr;
      std::printf("  task #%llu %-17s %-22s line %u%s%s\n", static_cast<unsigned long long>(task.sequence),
                  tpl::diagnostics::to_string(task.origin), tpl::diagnostics::to_string(task.status), task.created_at.line(),
                  awaited != nullptr ? " -> waits for task #" : "",
                  awaited != nullptr ? std::to_string(awaited->sequence).c_str() : "");
    }
    std::printf("  %s\n", pending.to_json().c_str());
    order.set_result(20);
    std::printf("  after set_result(20): doubled = %d, second = %d\n", doubled.get(), second.get());
  }
  tpl::diagnostics::disable();
}

}  // namespace

int main() {
  tpl::thread_pool& pool = tpl::thread_pool::default_pool();
  std::printf("tpl task demo on the default pool (%zu workers)\n\n", pool.worker_count());
  std::thread producer;
  main_async(producer).get();
  producer.join();  // not inside main_async: its end runs on the producer thread itself
  print_diagnostics_snapshot();
  std::puts("\ndone");
  return 0;
}
