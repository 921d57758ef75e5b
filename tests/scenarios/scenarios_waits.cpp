// Blocking waits on pool workers (issue 9, bugs 2, 3 and 5): each of these hung or crashed when a
// waiting worker ran unrelated queued work nested on its stack, slept among idle workers, or
// recursed without a stack check.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <chrono>
#include <latch>
#include <thread>

#include "scenarios.hpp"
#include "tpl/parallel.hpp"
#include "tpl/run.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"

namespace {

// Bug 2. One worker: the outer task queues an unrelated item that waits for a gate the outer
// task opens after its own wait. If the outer wait runs that item nested on its stack, the
// outer wait cannot return until the item does, and the item waits for the outer task: a hang.
TPL_SCENARIO("wait_does_not_nest_unrelated_work") {
  const int rounds = argc > 0 ? std::atoi(argv[0]) : 20;
  for (int round = 0; round < rounds; ++round) {
    tpl::thread_pool pool(1);
    tpl::task_completion_source<> gate;
    tpl::task_completion_source<> awaited;
    std::latch unrelated_started(1);
    auto outer = tpl::run(pool, [&] {
      pool.submit([&] {
        unrelated_started.count_down();
        gate.task().wait();
      });
      awaited.task().wait();
      gate.set_result();
    });
    unrelated_started.wait();  // the unrelated item runs (on a spare; formerly nested in the wait)
    awaited.set_result();
    outer.get();
    pool.shutdown();  // the unrelated item finishes before the sources it uses are destroyed
  }
  std::printf("%d rounds: the satisfied wait returned while unrelated work blocked\n", rounds);
  return 0;
}

int nested_gets(tpl::thread_pool& pool, int depth) {
  if (depth == 0) return 0;
  return tpl::run(pool, [&pool, depth] { return nested_gets(pool, depth - 1); }).get() + 1;
}

// Bug 3. Two workers. A chain of 41 nested run(...).get() whose innermost level waits for a
// gate; once both workers are idle or blocked, an outside submit() opens the gate. A blocked
// waiter used to sleep in the idle workers' event count (past the old help-depth bound of 32),
// where the submission's single wake-up could go to it instead of the idle worker: it could not
// take the item and slept again, and nobody ran it.
TPL_SCENARIO("nested_gets_two_workers") {
  const int rounds = argc > 0 ? std::atoi(argv[0]) : 10;
  for (int round = 0; round < rounds; ++round) {
    tpl::thread_pool pool(2);
    tpl::task_completion_source<> gate;
    std::latch innermost(1);
    std::function<int(int)> chain = [&](int depth) -> int {
      if (depth == 0) {
        innermost.count_down();
        gate.task().wait();
        return 0;
      }
      return tpl::run(pool, [&chain, depth] { return chain(depth - 1); }).get() + 1;
    };
    auto top = tpl::run(pool, [&] { return chain(41); });
    innermost.wait();
    // Until every core worker has gone idle (asleep) or parked in its wait: the state in which
    // the submission's wake-up must reach a thread that can run it. A bounded poll of the
    // counters (they are written when the state is entered), not a timed sleep.
    const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      bool all_quiet = true;
      for (const auto& each : pool.counters()) all_quiet = all_quiet && (each.slept > each.woken || each.parked > 0);
      if (all_quiet || std::chrono::steady_clock::now() > give_up_at) break;
      std::this_thread::yield();
    }
    pool.submit([&] { gate.set_result(); });
    if (top.get() != 41) return 1;
    pool.shutdown();
  }
  std::printf("%d rounds: a 41-deep get() chain on 2 workers released by an outside submit\n", rounds);
  return 0;
}

// Bug 5. A chain of nested get()s far deeper than one stack holds: each level waits on the next
// from inside a worker. The stack guard stops running levels inline when the stack runs low;
// the chain continues on spare threads with fresh stacks.
TPL_SCENARIO("deep_nested_gets") {
  const int depth = argc > 0 ? std::atoi(argv[0]) : 100000;
  tpl::thread_pool pool(2);
  const int reached = tpl::run(pool, [&pool, depth] { return nested_gets(pool, depth); }).get();
  std::printf("nested get() chain of %d levels; peak threads %zu\n", reached, pool.peak_thread_count());
  return reached == depth ? 0 : 1;
}

// Bug 5. Fork-join recursion whose joined (second) piece recurses: each join runs its child
// inline while the stack allows, then lets another thread run it.
TPL_SCENARIO("deep_fork_join") {
  const int depth = argc > 0 ? std::atoi(argv[0]) : 100000;
  tpl::thread_pool pool(2);
  std::function<int(int)> descend = [&](int level) -> int {
    if (level == 0) return 0;
    int below = 0;
    tpl::parallel_invoke(tpl::parallel_options{&pool}, [] {}, [&] { below = descend(level - 1); });
    return below + 1;
  };
  const int reached = descend(depth);
  std::printf("fork-join recursion of %d levels; peak threads %zu\n", reached, pool.peak_thread_count());
  return reached == depth ? 0 : 1;
}

}  // namespace
