// Stress of the combinators and the removable waits for ThreadSanitizer and
// AddressSanitizer+UBSan (+LeakSanitizer):
//   1. thousands of when_all / when_any over completion sources completed from several
//      foreign threads while the combinators register: results in input order, one winner that
//      had completed, nothing leaked;
//   2. timed waiters that give up (zero and tiny timeouts) on tasks other threads complete at
//      the same moment, and cancelable waits whose token is canceled concurrently: a waiter
//      that gave up leaves no node in the task (a left node would be a stack-use-after-return
//      under ASan when the task completes);
//   3. wait_any_for over tasks completed concurrently, whose abandoned registrations race the
//      completers.
// Synchronisation is on events (joins, task completion), never on sleeps.
//
// Usage: stress_combinators [rounds]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/wait_all.hpp"
#include "tpl/when_all.hpp"
#include "tpl/when_any.hpp"

namespace {

using namespace std::chrono_literals;
using tpl::task;
using tpl::task_completion_source;

int failures = 0;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "stress_combinators: FAILED: %s\n", what);
    ++failures;
  }
}

constexpr int inputs_per_combinator = 6;
constexpr int completer_threads = 3;

// Completes sources[i] with i from `completer_threads` threads, interleaved.
void complete_concurrently(std::vector<task_completion_source<int>>& sources) {
  std::vector<std::thread> completers;
  for (int thread = 0; thread < completer_threads; ++thread) {
    completers.emplace_back([&sources, thread] {
      for (std::size_t index = static_cast<std::size_t>(thread); index < sources.size(); index += completer_threads) {
        if (index % 5 == 4) {
          sources[index].set_exception(std::make_exception_ptr(std::runtime_error("stress fault")));
        } else {
          sources[index].set_result(static_cast<int>(index));
        }
      }
    });
  }
  for (auto& completer : completers) completer.join();
}

void combinators_against_completers(int rounds) {
  for (int round = 0; round < rounds; ++round) {
    std::vector<task_completion_source<int>> sources(inputs_per_combinator);
    std::vector<task<int>> inputs;
    for (auto& source : sources) inputs.push_back(source.task());
    std::thread completing([&sources] { complete_concurrently(sources); });
    auto all = tpl::when_all(inputs);
    auto any = tpl::when_any(inputs);
    completing.join();
    check(all.is_faulted() == (inputs_per_combinator > 4), "when_all faulted iff an input faulted");
    check(all.exception().has_value(), "when_all's faults are reported");
    const auto first = any.get();
    check(first.completed.is_completed(), "when_any's winner had completed");
    check(first.index < inputs.size(), "when_any's index is an input's");
  }
}

void waiters_giving_up(int rounds) {
  for (int round = 0; round < rounds; ++round) {
    task_completion_source<int> source;
    tpl::cancellation_token_source stop;
    std::atomic<int> gave_up{0};
    std::vector<std::thread> waiters;
    for (int waiter = 0; waiter < 3; ++waiter) {
      waiters.emplace_back([&, waiter] {
        try {
          const bool done = waiter == 0   ? source.task().wait_for(0ms)
                            : waiter == 1 ? source.task().wait_for(50us)
                                          : (source.task().wait(stop.token()), true);
          if (!done) gave_up.fetch_add(1);
        } catch (const tpl::operation_canceled&) {
          gave_up.fetch_add(1);
        }
      });
    }
    std::thread canceller([&stop] { stop.cancel(); });
    source.set_result(round);
    for (auto& waiter : waiters) waiter.join();
    canceller.join();
    check(source.task().get() == round, "the waited task keeps its value");
    check(!source.task().core()->state().has_pending_continuations(), "no waiter node is left in the task");
  }
}

void wait_any_abandoning(int rounds) {
  for (int round = 0; round < rounds; ++round) {
    std::vector<task_completion_source<int>> sources(3);
    std::vector<task<int>> inputs;
    for (auto& source : sources) inputs.push_back(source.task());
    std::thread completing([&sources] { complete_concurrently(sources); });
    const auto index = tpl::wait_any_for(inputs, 20us);
    completing.join();
    if (index) check(inputs[*index].is_completed(), "wait_any_for's index names a completed task");
    for (const task<int>& input : inputs) {
      check(!input.core()->state().has_pending_continuations(), "wait_any left no registration");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
  combinators_against_completers(rounds);
  waiters_giving_up(rounds);
  wait_any_abandoning(rounds);
  if (failures != 0) return 1;
  std::printf("stress_combinators: %d rounds of each part passed\n", rounds);
  return 0;
}
