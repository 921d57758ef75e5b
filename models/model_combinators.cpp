// Relacy model of tpl's combinators and removable waits — the real headers: when_all's
// countdown (detail/when_all_core.hpp), when_any's first-wins phase word and loser removal
// (detail/when_any_core.hpp), task_state::remove_continuation, and the timed / cancelable
// waiter (detail/timed_wait.hpp). Inputs are task_completion_source tasks completed on their
// own model threads; the combinator is created on another.
//
// Every scenario also checks: no leak, no use after free (a slot or waiter node left in an
// input after its owner is gone would be invoked on freed memory), no data race.
//
// Scenarios:
//   when_all_two        create when_all(a, b) vs a's completer vs b's: a continuation on the
//                       combinator runs exactly once, after both inputs completed; results in
//                       input order
//   when_all_three_faults  three inputs on three threads, two faulting: the combinator faults
//                       once, with the faults in input order, whatever the completion order
//   when_any_two        create when_any(a, b) vs both completers: one winner, which had
//                       completed; the combinator completes exactly once and runs to completion
//   when_any_loser_pending  when_any(a, b) vs a's completer, b never completes: once the
//                       combinator completed, b holds no registration of it
//   wait_any_gives_up   wait_any_for (may give up at any point) vs one input completing: the
//                       abandoned when_any leaves no registration in either input
//   wait_any_times_out  wait_any_for while nothing completes: it gives up, and neither input
//                       keeps a registration
//   timed_wait_vs_complete  wait_for (a timed waiter that may give up at any point Relacy
//                       picks) vs set_result: true iff the task completed; a waiter that gave
//                       up left no node in the task
//   cancelable_wait     wait(token) vs cancel() vs set_result: returns, or throws
//                       operation_canceled only if the task had not completed; no node left
//   two_removers        two timed waiters give up on one task while it completes: the stack
//                       edited by two removers and closed by the completer stays consistent
#include <chrono>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "support/model_runner.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/wait_all.hpp"
#include "tpl/when_all.hpp"
#include "tpl/when_any.hpp"

namespace {

using tpl::task;
using tpl::task_completion_source;
using tpl::task_status;

constexpr auto far_deadline = std::chrono::hours(1);  // Relacy explores the time-out anyway

// Counts the runs of a continuation on `watched` and checks, when it runs, that every input
// had completed.
template <class T>
struct completion_counter {
  std::optional<tpl::sync::cell<int>> runs;
  std::optional<task<int>> continuation;

  void attach(const task<T>& watched, std::vector<task<int>> inputs) {
    tpl::sync::cell<int>* counter = &*runs;
    continuation.emplace(tpl::continue_with(
        watched,
        [counter, inputs](const task<T>&) {
          for (const task<int>& input : inputs) RL_ASSERT(input.is_completed());
          counter->store(counter->load() + 1);
          return 0;
        },
        tpl::continuation_options::execute_synchronously));
  }
};

struct when_all_two : rl::test_suite<when_all_two, 3> {
  std::optional<task_completion_source<int>> a, b;
  std::optional<task<std::tuple<int, int>>> all;
  completion_counter<std::tuple<int, int>> counter;

  void before() {
    a.emplace();
    b.emplace();
    counter.runs.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      all.emplace(tpl::when_all(a->task(), b->task()));
      counter.attach(*all, {a->task(), b->task()});
    } else if (index == 1) {
      a->set_result(1);
    } else {
      b->set_result(2);
    }
  }
  void after() {
    RL_ASSERT(all->get() == std::make_tuple(1, 2));
    RL_ASSERT(counter.runs->load() == 1);
    counter.continuation.reset();
    counter.runs.reset();
    all.reset();
    a.reset();
    b.reset();
  }
};

struct when_all_three_faults : rl::test_suite<when_all_three_faults, 4> {
  std::optional<std::vector<task_completion_source<int>>> sources;
  std::optional<task<std::vector<int>>> all;
  completion_counter<std::vector<int>> counter;

  void before() {
    sources.emplace(3);
    counter.runs.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      std::vector<task<int>> inputs{(*sources)[0].task(), (*sources)[1].task(), (*sources)[2].task()};
      all.emplace(tpl::when_all(inputs));
      counter.attach(*all, inputs);
    } else if (index == 2) {
      (*sources)[1].set_result(5);
    } else {
      (*sources)[index - 1].set_exception(std::make_exception_ptr(std::runtime_error(index == 1 ? "0" : "2")));
    }
  }
  void after() {
    RL_ASSERT(all->status() == task_status::faulted);
    RL_ASSERT(counter.runs->load() == 1);
    const auto faults = all->exception();
    RL_ASSERT(faults && faults->inner_exceptions().size() == 2);
    for (std::size_t position = 0; position < 2; ++position) {
      try {
        std::rethrow_exception(faults->inner_exceptions()[position]);
      } catch (const std::runtime_error& error) {
        RL_ASSERT(error.what()[0] == (position == 0 ? '0' : '2'));  // input order
      }
    }
    counter.continuation.reset();
    counter.runs.reset();
    all.reset();
    sources.reset();
  }
};

struct when_any_two : rl::test_suite<when_any_two, 3> {
  std::optional<task_completion_source<int>> a, b;
  std::optional<task<tpl::when_any_result<task<int>>>> any;
  completion_counter<tpl::when_any_result<task<int>>> counter;

  void before() {
    a.emplace();
    b.emplace();
    counter.runs.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      any.emplace(tpl::when_any(a->task(), b->task()));
      counter.attach(*any, {});
      const task_status seen = any->status();
      if (seen == task_status::ran_to_completion) RL_ASSERT(any->get().completed.is_completed());
    } else if (index == 1) {
      a->set_result(1);
    } else {
      b->set_result(2);
    }
  }
  void after() {
    RL_ASSERT(any->status() == task_status::ran_to_completion);
    RL_ASSERT(counter.runs->load() == 1);
    const auto first = any->get();
    RL_ASSERT(first.index < 2 && first.completed.get() == static_cast<int>(first.index) + 1);
    counter.continuation.reset();
    counter.runs.reset();
    any.reset();
    a.reset();
    b.reset();
  }
};

struct when_any_loser_pending : rl::test_suite<when_any_loser_pending, 2> {
  std::optional<task_completion_source<int>> a, b;
  std::optional<task<tpl::when_any_result<task<int>>>> any;

  void before() {
    a.emplace();
    b.emplace();
  }
  void thread(unsigned index) {
    if (index == 0) {
      any.emplace(tpl::when_any(a->task(), b->task()));
    } else {
      a->set_result(1);
    }
  }
  void after() {
    RL_ASSERT(any->get().index == 0);
    RL_ASSERT(!b->task().core()->state().has_pending_continuations());  // the loser's slot is gone
    any.reset();  // frees the combinator while b still runs
    b->set_result(2);
    a.reset();
    b.reset();
  }
};

struct wait_any_gives_up : rl::test_suite<wait_any_gives_up, 2> {
  std::optional<task_completion_source<int>> a, b;
  std::optional<std::size_t> index;

  void before() {
    a.emplace();
    b.emplace();
    index.reset();
  }
  void thread(unsigned which) {
    if (which == 0) {
      index = tpl::wait_any_for(std::vector<task<int>>{a->task(), b->task()}, far_deadline);
      if (index) RL_ASSERT(*index == 0 && a->task().is_completed());
    } else {
      a->set_result(1);
    }
  }
  void after() {
    RL_ASSERT(!b->task().core()->state().has_pending_continuations());  // given up or lost: nothing left
    b->set_result(2);
    a.reset();
    b.reset();
  }
};

// Nothing completes while wait_any_for waits: it must time out, abandon the combinator and
// take both registrations back; the inputs completing afterwards find nothing of it.
struct wait_any_times_out : rl::test_suite<wait_any_times_out, 2> {
  std::optional<task_completion_source<int>> a, b;
  bool gave_up = false;

  void before() {
    a.emplace();
    b.emplace();
  }
  void thread(unsigned which) {
    if (which == 0) {
      gave_up = !tpl::wait_any_for(std::vector<task<int>>{a->task(), b->task()}, far_deadline).has_value();
    } else {
      (void)a->task().status();  // a second thread, so that Relacy interleaves the wait with it
    }
  }
  void after() {
    RL_ASSERT(gave_up);
    RL_ASSERT(!a->task().core()->state().has_pending_continuations());
    RL_ASSERT(!b->task().core()->state().has_pending_continuations());
    a->set_result(1);
    b->set_result(2);
    a.reset();
    b.reset();
  }
};

struct timed_wait_vs_complete : rl::test_suite<timed_wait_vs_complete, 2> {
  std::optional<task_completion_source<int>> source;
  bool completed_in_time = false;

  void before() { source.emplace(); }
  void thread(unsigned index) {
    if (index == 0) {
      completed_in_time = source->task().wait_for(far_deadline);
      if (completed_in_time) RL_ASSERT(source->task().get() == 7);
    } else {
      source->set_result(7);
    }
  }
  void after() {
    RL_ASSERT(!source->task().core()->state().has_pending_continuations());
    source.reset();
  }
};

struct cancelable_wait : rl::test_suite<cancelable_wait, 3> {
  std::optional<task_completion_source<int>> source;
  std::optional<tpl::cancellation_token_source> stop;
  bool threw = false;

  void before() {
    source.emplace();
    stop.emplace();
    threw = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      try {
        source->task().wait(stop->token());
        RL_ASSERT(source->task().is_completed());
      } catch (const tpl::operation_canceled&) {
        threw = true;
      }
    } else if (index == 1) {
      stop->cancel();
    } else {
      source->set_result(1);
    }
  }
  void after() {
    RL_ASSERT(!source->task().core()->state().has_pending_continuations());
    source.reset();
    stop.reset();
  }
};

struct two_removers : rl::test_suite<two_removers, 3> {
  std::optional<task_completion_source<int>> source;

  void before() { source.emplace(); }
  void thread(unsigned index) {
    if (index == 2) {
      source->set_result(3);
      return;
    }
    if (source->task().wait_for(far_deadline)) RL_ASSERT(source->task().get() == 3);
  }
  void after() {
    RL_ASSERT(!source->task().core()->state().has_pending_continuations());
    source.reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<when_all_two>("when_all_two", "create when_all(a, b) vs both completers: one completion, after both",
                                      search::random(400000), search::random(120000)),
          make_scenario<when_all_three_faults>("when_all_three_faults",
                                               "three completers, two faulting: faults in input order, one completion",
                                               search::random(400000), search::random(120000)),
          make_scenario<when_any_two>("when_any_two", "create when_any(a, b) vs both completers: one winner, one completion",
                                      search::random(400000), search::random(120000)),
          make_scenario<when_any_loser_pending>("when_any_loser_pending",
                                                "when_any(a, b) vs a's completer: b keeps no registration", search::random(400000), search::random(120000)),
          make_scenario<wait_any_gives_up>("wait_any_gives_up",
                                           "wait_any_for abandoning its when_any vs an input completing",
                                           search::random(400000), search::random(120000)),
          make_scenario<wait_any_times_out>("wait_any_times_out",
                                            "wait_any_for with nothing completing: abandons, leaves no registration",
                                            search::random(100000)),
          make_scenario<timed_wait_vs_complete>("timed_wait_vs_complete",
                                                "a timed waiter giving up vs set_result: no node left, no use after free",
                                                search::random(400000), search::random(120000)),
          make_scenario<cancelable_wait>("cancelable_wait", "wait(token) vs cancel() vs set_result", search::random(400000), search::random(120000)),
          make_scenario<two_removers>("two_removers", "two timed waiters give up while the task completes",
                                      search::random(400000), search::random(120000)),
      },
      argc, argv);
}
