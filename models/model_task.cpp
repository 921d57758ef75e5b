// Relacy model of tpl's real task code: coroutine tasks (promise, eager start, awaiter,
// final step with symmetric transfer), task_completion_source, blocking get(), continue_with,
// and the reference counting that frees coroutine frames and shared states. Coroutine frames
// live on Relacy's heap (leaks and uses after free are reported) and exceptions are thrown and
// caught inside model threads (sync/relacy/relacy_include.hpp keeps each fiber's exception
// state its own).
//
// The scenarios run on plain model threads, never pool workers, and queue nothing (continuations
// are execute_synchronously): queueing from a non-worker goes to the process-wide default pool,
// which cannot live across Relacy's iterations. Task code on a worker (blocking get(), queued
// asynchronous continuations) is model_pool's task_get_on_a_worker, over the shipped pool.
//
// Scenarios (each also checks: no leak, no use after free, no data race):
//   await_vs_set_result     a coroutine awaits a source's task while another thread sets it:
//                           resumed exactly once, sees the value
//   two_completers_one_awaiter  set_result races set_exception; exactly one wins; an awaiting
//                           coroutine sees the winner's outcome (value, or the exception rethrown)
//   get_vs_set_result       blocking get() on a non-pool thread races set_result: no lost
//                           wake-up (a DEADLOCK report), the value is seen
//   continuation_vs_complete  continue_with (execute_synchronously) registers while the
//                           antecedent completes: fn runs exactly once, sees the value
//   last_handle_vs_resume   the only handle of a suspended coroutine is dropped while the
//                           coroutine is resumed and finishes: its frame is freed exactly once
//   unobserved_fault        a coroutine throws after resuming on the completer's thread while
//                           its last handle is dropped on another: the fault is reported to the
//                           unobserved-exception handler exactly once, whoever frees the frame
#include <optional>
#include <stdexcept>

#include "support/model_runner.hpp"
#include "tpl/continue_with.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"

namespace {

using tpl::task;
using tpl::task_completion_source;
using tpl::task_status;

// Counts the resumptions of the code after the await in a race-checked cell.
task<int> add_one(task<int> awaited, tpl::sync::cell<int>* resumed) {
  const int value = co_await awaited;
  resumed->store(resumed->load() + 1);
  co_return value + 1;
}

task<int> await_then_throw(task<int> awaited) {
  co_await awaited;
  throw std::runtime_error("model: thrown after the await");
}

// A completion source, a coroutine that may await its task (add_one), and the count of that
// coroutine's resumptions: what most scenarios below share.
struct source_and_awaiter {
  std::optional<task_completion_source<int>> source;
  std::optional<tpl::sync::cell<int>> resumed;
  std::optional<task<int>> awaiting;

  void create() {
    source.emplace();
    resumed.emplace(0);
  }
  void start_awaiting() { awaiting.emplace(add_one(source->task(), &*resumed)); }
  void destroy() {
    awaiting.reset();
    source.reset();
    resumed.reset();
  }
};

struct await_vs_set_result : rl::test_suite<await_vs_set_result, 2>, source_and_awaiter {
  void before() { create(); }
  void thread(unsigned index) {
    if (index == 0) {
      source->set_result(41);
    } else {
      start_awaiting();
    }
  }
  void after() {
    RL_ASSERT(awaiting->status() == task_status::ran_to_completion);
    RL_ASSERT(awaiting->get() == 42);
    RL_ASSERT(resumed->load() == 1);
    destroy();
  }
};

struct two_completers_one_awaiter : rl::test_suite<two_completers_one_awaiter, 3>, source_and_awaiter {
  bool won[2] = {false, false};

  void before() {
    create();
    won[0] = won[1] = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      won[0] = source->try_set_result(1);
    } else if (index == 1) {
      won[1] = source->try_set_exception(std::make_exception_ptr(std::logic_error("model: the other completer")));
    } else {
      start_awaiting();
    }
  }
  void after() {
    RL_ASSERT(won[0] != won[1]);  // exactly one winner
    if (won[0]) {
      RL_ASSERT(awaiting->get() == 2);
      RL_ASSERT(resumed->load() == 1);
    } else {
      RL_ASSERT(awaiting->status() == task_status::faulted);
      bool rethrown_as_thrown = false;
      try {
        awaiting->get();
      } catch (const tpl::aggregate_exception& error) {
        try {
          std::rethrow_exception(error.inner_exceptions().at(0));
        } catch (const std::logic_error&) {
          rethrown_as_thrown = true;
        }
      }
      RL_ASSERT(rethrown_as_thrown);
      RL_ASSERT(resumed->load() == 0);  // the code after the await never ran
    }
    destroy();
  }
};

struct get_vs_set_result : rl::test_suite<get_vs_set_result, 2> {
  std::optional<task_completion_source<int>> source;
  int seen = 0;

  void before() { source.emplace(); }
  void thread(unsigned index) {
    if (index == 0) {
      source->set_result(7);
    } else {
      seen = source->task().get();
    }
  }
  void after() {
    RL_ASSERT(seen == 7);
    source.reset();
  }
};

struct continuation_vs_complete : rl::test_suite<continuation_vs_complete, 2> {
  std::optional<task_completion_source<int>> source;
  std::optional<task<int>> doubled;
  std::optional<tpl::sync::cell<int>> runs;

  void before() {
    source.emplace();
    runs.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->set_result(21);
    } else {
      tpl::sync::cell<int>* counter = &*runs;
      doubled.emplace(tpl::continue_with(
          source->task(),
          [counter](const task<int>& antecedent) {
            counter->store(counter->load() + 1);
            return antecedent.get() * 2;
          },
          tpl::continuation_options::execute_synchronously));
    }
  }
  void after() {
    RL_ASSERT(doubled->get() == 42);
    RL_ASSERT(runs->load() == 1);
    doubled.reset();
    source.reset();
    runs.reset();
  }
};

struct last_handle_vs_resume : rl::test_suite<last_handle_vs_resume, 2>, source_and_awaiter {
  void before() {
    create();
    start_awaiting();  // suspended: the source is not set
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->set_result(1);  // resumes the coroutine here; it finishes and drops its reference
    } else {
      task<int> last = std::move(*awaiting);
      const task_status seen = last.status();
      RL_ASSERT(seen == task_status::waiting_for_activation || seen == task_status::ran_to_completion);
      // `last` goes out of scope: the frame's last reference may go here, or in the final step
    }
  }
  void after() {
    RL_ASSERT(resumed->load() == 1);
    destroy();
  }
};

struct unobserved_fault : rl::test_suite<unobserved_fault, 2> {
  std::optional<task_completion_source<int>> source;
  std::optional<task<int>> throwing;
  std::optional<tpl::sync::cell<int>> reports;
  tpl::unobserved_exception_handler previous;

  void before() {
    source.emplace();
    reports.emplace(0);
    tpl::sync::cell<int>* counter = &*reports;
    previous = tpl::set_unobserved_exception_handler([counter](const tpl::aggregate_exception& unobserved) {
      RL_ASSERT(unobserved.inner_exceptions().size() == 1);
      counter->store(counter->load() + 1);
    });
    throwing.emplace(await_then_throw(source->task()));
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->set_result(1);
    } else {
      throwing.reset();
    }
  }
  void after() {
    RL_ASSERT(reports->load() == 1);
    tpl::set_unobserved_exception_handler(std::move(previous));
    source.reset();
    reports.reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<await_vs_set_result>("await_vs_set_result", "a coroutine awaits a source's task while it is set",
                                             search::full()),
          make_scenario<two_completers_one_awaiter>("two_completers_one_awaiter",
                                                    "set_result races set_exception while a coroutine awaits",
                                                    search::context_bound(1)),
          make_scenario<get_vs_set_result>("get_vs_set_result", "blocking get() races set_result", search::full()),
          make_scenario<continuation_vs_complete>("continuation_vs_complete",
                                                  "continue_with registers while the antecedent completes",
                                                  search::full()),
          make_scenario<last_handle_vs_resume>("last_handle_vs_resume",
                                               "the last handle is dropped while the coroutine finishes",
                                               search::full()),
          make_scenario<unobserved_fault>("unobserved_fault",
                                          "an unobserved fault is reported once by whoever drops the last reference",
                                          search::full()),
      },
      argc, argv);
}
