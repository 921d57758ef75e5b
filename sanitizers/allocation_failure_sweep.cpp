// The allocation-failure sweep (issue 10): does every failed allocation reach someone?
//
// A workload that uses every public API (run, coroutines, delay, yield, task_completion_source,
// continue_with, when_all, when_any, wait_all/wait_any, cancellation sources, registrations,
// linked sources, cancel_after, parallel_for, parallel_invoke, a pool of its own) runs once per
// injected failure, each time in a process of its own, with the N-th allocation of the process
// (on whichever thread makes it) throwing std::bad_alloc. Each run checks, step by step, that the
// failure surfaced in one of three ways, and nothing else happened:
//   - exception: the call that needed the memory threw std::bad_alloc to its caller;
//   - faulted:   a task the step waits for ended faulted with the std::bad_alloc;
//   - recovered: tpl absorbed it on a fallback path that allocates nothing (queued work run
//                inline, a cancellation node taken from the heap instead of the free stack ...)
//                and the step's results are complete and correct.
// A task left pending (a settle deadline of 60 s that only detects a hang), a wrong or partial
// result without an exception, an unexpected outcome, a crash or std::terminate fails the run;
// so does a leak, because the process ends under LeakSanitizer in the asan preset.
//
// Usage: allocation_failure_sweep [budget [shard shards]]
//                                                 the sweep: counts the workload's allocations,
//                                                 then runs it failing allocation N for N = 1..M
//                                                 (at most `budget` runs, evenly spaced); with a
//                                                 shard, only the runs whose number is `shard`
//                                                 modulo `shards` (ctest runs the shards side by
//                                                 side, so none nears its timeout: issue 28)
//        allocation_failure_sweep --once N       one run failing allocation N (0: none), which
//                                                 prints "fired=... step=... outcome=..."
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/failing_allocator.hpp"
#include "tpl/tpl.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// One run of the workload
// ---------------------------------------------------------------------------------------------

enum class outcome { none, exception, faulted };

[[noreturn]] void violation(const char* step, const std::string& what) {
  const tpl_scenarios::injected_failure fired = tpl_scenarios::where_failure_fired();
  std::fprintf(stderr, "allocation_failure_sweep: step '%s': %s (the injected failure %s%s%s)\n", step, what.c_str(),
               fired.step != nullptr ? "fired in step '" : "had not fired", fired.step != nullptr ? fired.step : "",
               fired.step != nullptr ? "'" : "");
  std::fflush(stderr);
  std::_Exit(1);
}

class failure_is_expected {};  // thrown by a step to say "stop here: the failure surfaced"

// What each step saw, for the end of the run. A fixed table: the harness itself must not
// allocate outside the steps, or the injected failure would land in it.
struct step_outcome {
  const char* step = nullptr;
  outcome seen = outcome::none;
};
std::array<step_outcome, 32> step_outcomes;
std::size_t steps_run = 0;

outcome& outcome_of(const char* step) {
  for (std::size_t i = 0; i < steps_run; ++i)
    if (std::strcmp(step_outcomes[i].step, step) == 0) return step_outcomes[i].seen;
  if (steps_run == step_outcomes.size()) std::abort();  // the table is sized for the workload
  step_outcomes[steps_run].step = step;
  return step_outcomes[steps_run++].seen;
}

bool is_bad_alloc(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::bad_alloc&) {
    return true;
  } catch (...) {
    return false;
  }
}

// Waits for `work` to complete; only a hang fails (the deadline is a hang detector).
template <class T>
void settle(const char* step, const tpl::task<T>& work) {
  try {
    if (!work.wait_for(60s)) violation(step, "a task is still pending after 60 s");
  } catch (const tpl::aggregate_exception&) {
    // A faulted task: its status says so; the caller inspects it.
  } catch (const tpl::task_canceled&) {
  }
}

// A faulted task must hold only std::bad_alloc (and, where `expected` is given, that error):
// records `faulted` and stops the step; a task that ran to completion returns normally.
template <class T>
void require_completed_or_out_of_memory(const char* step, const tpl::task<T>& work,
                                        const char* expected_message = nullptr) {
  settle(step, work);
  if (work.is_completed_successfully()) return;
  if (work.is_canceled()) violation(step, "a task ended canceled");
  bool out_of_memory = false;
  bool expected_seen = false;
  const std::optional<tpl::aggregate_exception> fault = work.exception();
  for (const std::exception_ptr& error : fault->inner_exceptions()) {
    if (is_bad_alloc(error)) {
      out_of_memory = true;
      continue;
    }
    try {
      std::rethrow_exception(error);
    } catch (const std::runtime_error& thrown) {
      if (expected_message == nullptr || std::strcmp(thrown.what(), expected_message) != 0)
        violation(step, std::string("a task faulted with an unexpected error: ") + thrown.what());
      expected_seen = true;
    } catch (...) {
      violation(step, "a task faulted with an unexpected error");
    }
  }
  if (out_of_memory) {
    outcome_of(step) = outcome::faulted;
    throw failure_is_expected{};
  }
  if (!(expected_message != nullptr && expected_seen)) violation(step, "a task faulted without its error");
}

template <class Body>
void run_step(const char* step, Body&& body) {
  tpl_scenarios::set_current_step(step);
  outcome_of(step) = outcome::none;
  try {
    body(step);
  } catch (const failure_is_expected&) {
  } catch (const std::bad_alloc&) {
    outcome_of(step) = outcome::exception;
  } catch (const tpl::aggregate_exception& error) {
    // A blocking call (parallel_for, wait_all ...) reports the failure as an aggregate.
    for (const std::exception_ptr& each : error.inner_exceptions())
      if (!is_bad_alloc(each)) violation(step, "an aggregate_exception with an error other than std::bad_alloc");
    outcome_of(step) = outcome::faulted;
  } catch (const std::exception& error) {
    violation(step, std::string("an unexpected exception: ") + error.what());
  }
  tpl_scenarios::set_current_step("between steps");
}

tpl::task<int> delayed_sum(int base) {
  co_await tpl::delay(1ms);
  const int ran = co_await tpl::run([] { return 10; });
  co_await tpl::yield();
  co_return base + ran;
}

tpl::task<int> await_source(tpl::task<int> from_source) { co_return co_await from_source + 1; }

tpl::task<int> fails_with(const char* message) {
  co_await tpl::yield();
  throw std::runtime_error(message);
}

void workload() {
  run_step("run", [](const char* step) {
    tpl::task<int> answer = tpl::run([] { return 42; });
    require_completed_or_out_of_memory(step, answer);
    if (answer.get() != 42) violation(step, "run() returned a wrong value");
  });

  run_step("coroutine_delay_yield", [](const char* step) {
    tpl::task<int> sum = delayed_sum(32);
    require_completed_or_out_of_memory(step, sum);
    if (sum.get() != 42) violation(step, "the coroutine returned a wrong value");
  });

  run_step("task_completion_source", [](const char* step) {
    tpl::task_completion_source<int> asynchronous(tpl::task_creation_options::run_continuations_asynchronously);
    tpl::task_completion_source<int> inline_source;
    tpl::task<int> first = await_source(asynchronous.task());
    tpl::task<int> second = await_source(inline_source.task());
    tpl::task<> setter = tpl::run([&] {
      asynchronous.set_result(41);
      inline_source.set_result(9);
    });
    require_completed_or_out_of_memory(step, setter);
    require_completed_or_out_of_memory(step, first);
    require_completed_or_out_of_memory(step, second);
    if (first.get() != 42 || second.get() != 10) violation(step, "an awaiter of a source saw a wrong value");
  });

  run_step("continue_with", [](const char* step) {
    tpl::task<int> antecedent = tpl::run([] { return 20; });
    tpl::task<int> doubled = tpl::continue_with(antecedent, [](const tpl::task<int>& done) { return done.get() * 2; });
    tpl::task<int> synchronous = tpl::continue_with(
        antecedent, [](const tpl::task<int>& done) { return done.get() + 1; },
        tpl::continuation_options::execute_synchronously);
    tpl::task<int> on_fault = tpl::continue_with(
        antecedent, [](const tpl::task<int>&) { return 0; }, tpl::continuation_options::only_on_faulted);
    require_completed_or_out_of_memory(step, antecedent);
    require_completed_or_out_of_memory(step, doubled);
    require_completed_or_out_of_memory(step, synchronous);
    settle(step, on_fault);
    if (!on_fault.is_canceled()) violation(step, "an only_on_faulted continuation of a success did not end canceled");
    if (doubled.get() != 40 || synchronous.get() != 21) violation(step, "a continuation returned a wrong value");
  });

  run_step("when_all", [](const char* step) {
    tpl::task<std::tuple<int, int>> pair = tpl::when_all(tpl::run([] { return 1; }), tpl::run([] { return 2; }));
    std::vector<tpl::task<int>> range;
    for (int i = 0; i < 4; ++i) range.push_back(tpl::run([i] { return i; }));
    range.push_back(fails_with("expected failure"));
    tpl::task<std::vector<int>> all = tpl::when_all(range);
    require_completed_or_out_of_memory(step, pair);
    if (pair.get() != std::tuple<int, int>{1, 2}) violation(step, "when_all(pack) returned wrong values");
    settle(step, all);
    if (all.is_completed_successfully()) violation(step, "when_all over a faulted input succeeded");
    require_completed_or_out_of_memory(step, all, "expected failure");
  });

  run_step("when_any_and_cancellation_of_a_delay", [](const char* step) {
    tpl::cancellation_token_source stop;
    std::vector<tpl::task<>> inputs{tpl::delay(1h, stop.token()), tpl::run([] {})};
    tpl::task<tpl::when_any_result<tpl::task<>>> first = tpl::when_any(inputs);
    stop.cancel();
    settle(step, inputs[0]);
    if (!inputs[0].is_canceled()) violation(step, "a delay on a canceled token did not end canceled");
    require_completed_or_out_of_memory(step, inputs[1]);
    require_completed_or_out_of_memory(step, first);
  });

  run_step("wait_all_and_wait_any", [](const char* step) {
    std::vector<tpl::task<int>> three{tpl::run([] { return 1; }), tpl::run([] { return 2; }), tpl::run([] { return 3; })};
    tpl::wait_all(three);
    const std::size_t index = tpl::wait_any(three);
    if (index >= three.size()) violation(step, "wait_any returned no index");
    int sum = 0;
    for (const auto& each : three) sum += each.get();
    if (sum != 6) violation(step, "wait_all's tasks returned wrong values");
  });

  run_step("registrations_and_linked_sources", [](const char* step) {
    tpl::cancellation_token_source source;
    std::atomic<int> ran{0};
    tpl::cancellation_registration kept[3];
    for (auto& each : kept) each = source.token().register_callback([&ran] { ran.fetch_add(1); });
    tpl::cancellation_registration dropped = source.token().register_callback([&ran] { ran.fetch_add(100); });
    dropped.unregister();
    tpl::cancellation_token_source linked = tpl::cancellation_token_source::create_linked({source.token()});
    tpl::cancellation_registration on_linked = linked.token().register_callback([&ran] { ran.fetch_add(10); });
    try {
      source.cancel();
    } catch (const std::bad_alloc&) {
      // cancel() reserves what it needs before it commits: nothing ran, and a retry runs all.
      if (source.is_cancellation_requested() || ran.load() != 0) violation(step, "a failed cancel() left work half done");
      outcome_of(step) = outcome::exception;
      source.cancel();
    }
    if (ran.load() != 13 || !linked.is_cancellation_requested())
      violation(step, "cancel() ran " + std::to_string(ran.load()) + " instead of 13 (3 callbacks and the linked one)");
  });

  run_step("cancel_after", [](const char* step) {
    tpl::cancellation_token_source soon;
    tpl::task<> long_delay = tpl::delay(1h, soon.token());
    soon.cancel_after(1ms);
    settle(step, long_delay);
    if (!long_delay.is_canceled()) violation(step, "a delay whose token was canceled by cancel_after did not end canceled");
  });

  run_step("parallel_for_and_invoke", [](const char* step) {
    constexpr int count = 2000;
    std::vector<std::atomic<int>> runs(count);
    tpl::parallel_for(0, count, [&runs](int index) { runs[static_cast<std::size_t>(index)].fetch_add(1); });
    for (const auto& each : runs)
      if (each.load() != 1) violation(step, "parallel_for ran an index other than once");
    std::atomic<int> invoked{0};
    tpl::parallel_invoke([&invoked] { invoked.fetch_add(1); }, [&invoked] { invoked.fetch_add(2); });
    if (invoked.load() != 3) violation(step, "parallel_invoke skipped work");
  });

  run_step("worker_deque_growth", [](const char* step) {
    // On a worker: 600 awaiters of sources with asynchronous continuations, completed there, so
    // that their resumptions queue on the worker's own deque, which must grow past its first
    // 256 slots; then 600 run() calls from the worker, which queue there too. A failed growth
    // must neither lose a resumption nor strand an awaiter.
    tpl::task<long> on_worker = tpl::run([]() -> long {
      constexpr int count = 600;
      std::vector<tpl::task_completion_source<int>> sources;
      std::vector<tpl::task<int>> awaiters;
      sources.reserve(count);
      awaiters.reserve(count);
      for (int i = 0; i < count; ++i) {
        sources.emplace_back(tpl::task_creation_options::run_continuations_asynchronously);
        awaiters.push_back(await_source(sources.back().task()));
      }
      for (int i = 0; i < count; ++i) sources[static_cast<std::size_t>(i)].set_result(i);
      std::vector<tpl::task<int>> runs;
      runs.reserve(count);
      for (int i = 0; i < count; ++i) runs.push_back(tpl::run([i] { return i; }));
      long sum = 0;
      for (const auto* group : {&awaiters, &runs}) {
        for (const tpl::task<int>& each : *group) {
          try {
            sum += each.get();
          } catch (const tpl::aggregate_exception& error) {
            std::rethrow_exception(error.inner_exceptions().front());  // as thrown: bad_alloc
          }
        }
      }
      return sum;
    });
    require_completed_or_out_of_memory(step, on_worker);
    // awaiters: sum of i + 1; runs: sum of i.
    if (on_worker.get() != 600L * 601 / 2 + 600L * 599 / 2) violation(step, "work on a worker's deque was lost");
  });

  run_step("a_pool_of_its_own", [](const char* step) {
    std::atomic<int> unhandled{0};
    tpl::thread_pool pool(tpl::thread_pool::options{2, [&unhandled](std::exception_ptr) { unhandled.fetch_add(1); }, {}, 0});
    tpl::task<int> antecedent = tpl::run([] { return 5; });
    tpl::task<int> on_pool = tpl::continue_with(antecedent, pool, [](const tpl::task<int>& done) { return done.get() + 1; });
    std::atomic<int> sum{0};
    tpl::parallel_options options;
    options.pool = &pool;
    tpl::parallel_for(0, 100, [&sum](int index) { sum.fetch_add(index); }, options);
    require_completed_or_out_of_memory(step, on_pool);
    if (on_pool.get() != 6 || sum.load() != 4950) violation(step, "work on a pool of its own returned wrong values");
    if (unhandled.load() != 0) violation(step, "the pool's handler was called");
  });
}

std::atomic<int> unobserved_faults{0};

int run_once(std::int64_t fail_at) {
  // A step that stops at an exception drops the tasks it made: their faults (broken_promise of
  // a source that never ran its setter, the when_all step's own failing input) are reported
  // as unobserved, which is how they reach someone. Counted rather than printed.
  tpl::set_unobserved_exception_handler([](const tpl::aggregate_exception&) { unobserved_faults.fetch_add(1); });
  if (fail_at > 0) tpl_scenarios::fail_allocation(fail_at);
  const std::int64_t before = tpl_scenarios::allocations_so_far();
  workload();
  const bool fired = tpl_scenarios::disarm_allocation_failure();
  const tpl_scenarios::injected_failure where = tpl_scenarios::where_failure_fired();
  const char* seen = "none";
  if (fired) {
    const outcome step_outcome = outcome_of(where.step);
    seen = step_outcome == outcome::exception ? "exception" : step_outcome == outcome::faulted ? "faulted" : "recovered";
  }
  for (std::size_t i = 0; i < steps_run; ++i)
    if (step_outcomes[i].seen != outcome::none && !fired)
      violation(step_outcomes[i].step, "reported an out-of-memory failure none was injected");
  std::printf("fired=%d step=%s thread=%s outcome=%s allocations=%lld unobserved=%d\n", fired ? 1 : 0,
              fired ? where.step : "-", !fired ? "-" : where.on_labelling_thread ? "caller" : "other", seen,
              static_cast<long long>(tpl_scenarios::allocations_so_far() - before), unobserved_faults.load());
  std::fflush(stdout);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The sweep: one child process per injected failure
// ---------------------------------------------------------------------------------------------

struct child_result {
  bool finished = false;  // exited by itself (not killed at the deadline)
  int status = 0;
  std::string output;
};

child_result run_child(const char* self, std::int64_t fail_at) {
  child_result result;
  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) throw std::runtime_error("pipe() failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
  const std::string number = std::to_string(fail_at);
  char* argv[] = {const_cast<char*>(self), const_cast<char*>("--once"), const_cast<char*>(number.c_str()), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, self, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  if (spawned != 0) throw std::runtime_error("posix_spawn failed");
  // Read until the child closes its output or the hang deadline passes.
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  char buffer[512];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd readable{pipe_ends[0], POLLIN, 0};
    if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t got = read(pipe_ends[0], buffer, sizeof buffer);
    if (got <= 0) {
      result.finished = true;
      break;
    }
    result.output.append(buffer, static_cast<std::size_t>(got));
  }
  close(pipe_ends[0]);
  if (!result.finished) kill(pid, SIGKILL);
  waitpid(pid, &result.status, 0);
  return result;
}

std::string field(const std::string& line, const std::string& name) {
  const std::size_t at = line.find(name + "=");
  if (at == std::string::npos) return "?";
  const std::size_t start = at + name.size() + 1;
  return line.substr(start, line.find_first_of(" \n", start) - start);
}

int sweep(const char* self, std::int64_t budget, std::int64_t shard, std::int64_t shards) {
  const child_result counting = run_child(self, 0);
  if (!counting.finished || !WIFEXITED(counting.status) || WEXITSTATUS(counting.status) != 0) {
    std::fprintf(stderr, "allocation_failure_sweep: the workload fails without any injected failure\n");
    return 1;
  }
  const std::int64_t total = std::stoll(field(counting.output, "allocations"));
  // Workers allocate too, so the count varies a little from run to run: sweep 10% past it.
  const std::int64_t span = total + total / 10;
  const std::int64_t runs = span <= budget ? span : budget;
  std::printf("the workload makes %lld allocations; %lld runs, failing allocation N for N in [1, %lld]%s\n",
              static_cast<long long>(total), static_cast<long long>(runs), static_cast<long long>(span),
              runs < span ? " (evenly spaced)" : "");

  struct tally {
    int exception = 0, faulted = 0, recovered = 0, other_thread = 0;
  };
  std::map<std::string, tally> by_step;
  int not_fired = 0;
  int failed = 0;
  for (std::int64_t run = shard; run < runs; run += shards) {
    const std::int64_t fail_at = 1 + run * span / runs;
    const child_result child = run_child(self, fail_at);
    const bool clean = child.finished && WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0;
    if (!clean) {
      ++failed;
      std::fprintf(stderr, "allocation %lld: the run %s\n", static_cast<long long>(fail_at),
                   !child.finished                ? "hung (killed at the deadline)"
                   : WIFSIGNALED(child.status)    ? ("was killed by signal " + std::to_string(WTERMSIG(child.status))).c_str()
                                                  : ("exited with " + std::to_string(WEXITSTATUS(child.status))).c_str());
      if (failed >= 5) break;  // enough to diagnose; the rest would repeat it
      continue;
    }
    if (field(child.output, "fired") != "1") {
      ++not_fired;
      continue;
    }
    tally& counts = by_step[field(child.output, "step")];
    const std::string seen = field(child.output, "outcome");
    if (seen == "exception") ++counts.exception;
    if (seen == "faulted") ++counts.faulted;
    if (seen == "recovered") ++counts.recovered;
    if (field(child.output, "thread") == "other") ++counts.other_thread;
  }

  std::printf("\n| step where the failure fired | exception | faulted task | recovered | of which on another thread |\n");
  std::printf("|---|---|---|---|---|\n");
  for (const auto& [step, counts] : by_step)
    std::printf("| %s | %d | %d | %d | %d |\n", step.c_str(), counts.exception, counts.faulted, counts.recovered,
                counts.other_thread);
  std::printf("\n%lld runs: %d failed, %d in which the failure did not fire (the run made fewer allocations)\n",
              static_cast<long long>(runs), failed, not_fired);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (!tpl_scenarios::injection_available()) {
    std::puts("allocation_failure_sweep: this build cannot replace operator new (ThreadSanitizer); nothing to do");
    return 0;
  }
  if (argc >= 3 && std::strcmp(argv[1], "--once") == 0) return run_once(std::stoll(argv[2]));
  const std::int64_t budget = argc >= 2 ? std::stoll(argv[1]) : 400;
  const std::int64_t shard = argc >= 4 ? std::stoll(argv[2]) : 0;
  const std::int64_t shards = argc >= 4 ? std::stoll(argv[3]) : 1;
  if (shards < 1 || shard < 0 || shard >= shards) {
    std::fprintf(stderr, "allocation_failure_sweep: shard %lld of %lld makes no sense\n", static_cast<long long>(shard),
                 static_cast<long long>(shards));
    return 2;
  }
  return sweep(argv[0], budget, shard, shards);
}
