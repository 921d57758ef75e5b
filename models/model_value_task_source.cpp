// Relacy model of the reusable value_task source: the real manual_reset_value_task_source<int>
// (and through it detail::value_task_source_state), and in one scenario the real value_task
// awaiter in a coroutine.
//
// Invariants, on every explored execution: an awaiter's continuation runs exactly once, or its
// registration reports the operation complete, never both and never neither; the consumer reads
// the value the producer set (the outcome's kind is a race-checked cell written before
// complete() and read after it); the continuation cells the awaiter wrote are read by the
// producer without a race; a stale or second consumer never gets a value, only
// invalid_operation; the owner's reset never overlaps a consumer's read or the next producer's
// write (the same cell, written by reset()).
//
// Scenarios:
//   await_vs_complete        an awaiter registers while the producer completes     full search
//   coroutine_await          a coroutine co_awaits source.task() (the real value_task
//                            awaiter) while the producer completes                 full search
//   reset_vs_consumer        the consumer reads op 0's result while the owner
//                            resets; a stale consumer of op 0 races both          context bound 2
//   producer_vs_reset        the next operation's producer tries to complete while
//                            the owner resets the consumed operation              context bound 3
//   two_awaiters             two awaiters of one operation (misuse): one
//                            registers, the other gets invalid_operation           context bound 3
//                            (full search, on the revision before the relaxed
//                            orders of try_register: 92M executions, 430 s, clean)
//   status_vs_reset          a consumer asks a completed operation's status while
//                            the owner resets it (issue 29: the status read a
//                            plain field reset() rewrote; it now comes from the
//                            protocol's word, and a stale token throws)           full search
//   throwing_result_vs_await a producer's result copy throws (the claim is given
//                            back) while a second producer retries and an awaiter
//                            registers (issue 29: the claim stayed, the awaiter
//                            never resumed)                                        context bound 2
//   status_publishes_prior_writes
//                            a consumer that sees `succeeded` reads what the
//                            producer wrote before completing                      full search
#include <optional>
#include <stdexcept>

#include "support/model_runner.hpp"
#include "tpl/manual_reset_value_task_source.hpp"
#include "tpl/task.hpp"
#include "tpl/value_task.hpp"

namespace {

using source_type = tpl::manual_reset_value_task_source<int>;

// An awaiter that reads the result when its continuation runs (or at once, if registration
// found the operation complete).
struct recording_awaiter {
  source_type* source = nullptr;
  std::uint64_t token = 0;
  tpl::sync::cell<int> got{0};
  tpl::sync::cell<int> runs{0};

  static void resume(void* self) { static_cast<recording_awaiter*>(self)->consume(); }
  void consume() {
    got.store(source->get_result(token));
    runs.store(runs.load() + 1);
  }
  void await() {
    if (!source->on_completed(token, {&recording_awaiter::resume, this})) consume();
  }
};

struct await_vs_complete : rl::test_suite<await_vs_complete, 2> {
  std::optional<source_type> source;
  std::optional<recording_awaiter> awaiter;

  void before() {
    source.emplace();
    awaiter.emplace();
    awaiter->source = &*source;
    awaiter->token = source->version();
  }
  void thread(unsigned index) {
    if (index == 0) {
      awaiter->await();
    } else {
      source->set_result(42);
    }
  }
  void after() {
    RL_ASSERT(awaiter->runs.load() == 1);
    RL_ASSERT(awaiter->got.load() == 42);
    awaiter.reset();
    source.reset();
  }
};

tpl::task<int> await_value_task(tpl::value_task<int> operation, tpl::sync::cell<int>* got) {
  got->store(co_await operation);
  co_return 0;
}

struct coroutine_await : rl::test_suite<coroutine_await, 2> {
  std::optional<source_type> source;
  std::optional<tpl::sync::cell<int>> got;
  std::optional<tpl::task<int>> coroutine;

  void before() {
    source.emplace();
    got.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      coroutine.emplace(await_value_task(source->task(), &*got));
    } else {
      source->set_result(7);
    }
  }
  void after() {
    RL_ASSERT(coroutine->is_completed_successfully());
    RL_ASSERT(got->load() == 7);
    coroutine.reset();
    got.reset();
    source.reset();
  }
};

struct reset_vs_consumer : rl::test_suite<reset_vs_consumer, 3> {
  std::optional<source_type> source;
  std::uint64_t first_token = 0;
  int got[2] = {0, 0};  // what consumer 1 and consumer 2 read (0: refused)
  bool reset_done = false;

  void before() {
    source.emplace();
    first_token = source->version();
    source->set_result(1);
    got[0] = got[1] = 0;
    reset_done = false;
  }
  void thread(unsigned index) {
    try {
      if (index == 0) {
        source->reset();  // refused while a consumer reads; otherwise before or after the read
        reset_done = true;
      } else {
        got[index - 1] = source->get_result(first_token);  // two consumers of op 0: one is misuse
      }
    } catch (const tpl::invalid_operation&) {
    }
  }
  void after() {
    RL_ASSERT(got[0] == 0 || got[0] == 1);
    RL_ASSERT(got[1] == 0 || got[1] == 1);
    RL_ASSERT(got[0] + got[1] <= 1);           // op 0's result is consumed at most once
    if (!reset_done) RL_ASSERT(got[0] + got[1] == 1);  // reset was refused: someone was reading
    source.reset();
  }
};

struct producer_vs_reset : rl::test_suite<producer_vs_reset, 2> {
  std::optional<source_type> source;
  std::uint64_t next_token = 0;

  void before() {
    source.emplace();
    source->set_result(1);
    (void)source->get_result(source->version());  // op 0 is consumed
    next_token = source->version() + 1;
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->reset();
    } else {
      // The next operation's producer, not synchronised with the reset: it retries while op 0
      // is still current (already completed) or being reset.
      for (;;) {
        try {
          source->set_result(2);
          return;
        } catch (const tpl::invalid_operation&) {
          tpl::sync::spin_pause();
        }
      }
    }
  }
  void after() {
    RL_ASSERT(source->version() == next_token);
    RL_ASSERT(source->get_result(next_token) == 2);
    source.reset();
  }
};

struct two_awaiters : rl::test_suite<two_awaiters, 3> {
  std::optional<source_type> source;
  std::optional<recording_awaiter> first;
  std::optional<recording_awaiter> second;
  bool refused[2] = {false, false};

  void before() {
    source.emplace();
    first.emplace();
    second.emplace();
    first->source = second->source = &*source;
    first->token = second->token = source->version();
    refused[0] = refused[1] = false;
  }
  void thread(unsigned index) {
    if (index == 2) {
      source->set_result(5);
      return;
    }
    try {
      (index == 0 ? *first : *second).await();
    } catch (const tpl::invalid_operation&) {
      refused[index] = true;
    }
  }
  void after() {
    const int runs = first->runs.load() + second->runs.load();
    RL_ASSERT(runs == 1);  // exactly one awaiter got the result
    RL_ASSERT(refused[0] != refused[1]);
    RL_ASSERT((first->runs.load() == 1 ? first->got.load() : second->got.load()) == 5);
    first.reset();
    second.reset();
    source.reset();
  }
};

struct status_vs_reset : rl::test_suite<status_vs_reset, 2> {
  std::optional<source_type> source;
  std::uint64_t first_token = 0;
  tpl::value_task_source_status seen = tpl::value_task_source_status::pending;
  bool refused = false;

  void before() {
    source.emplace();
    first_token = source->version();
    source->set_result(1);  // op 0 completed, nobody awaits it: reset() may drop it
    seen = tpl::value_task_source_status::pending;
    refused = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      source->reset();
    } else {
      try {
        seen = source->get_status(first_token);
      } catch (const tpl::invalid_operation&) {
        refused = true;  // the reset came first: a stale token
      }
    }
  }
  void after() {
    // Either the status of op 0 as it was (succeeded) or a refusal; never pending, never torn.
    RL_ASSERT(refused != (seen == tpl::value_task_source_status::succeeded));
    source.reset();
  }
};

// A result whose copy throws when asked to; the value is a race-checked cell, and every copy,
// failed or not, counts itself in a race-checked counter: so the failed copy's writes must
// happen before the next producer's (the claim is given back with release), or Relacy reports
// a race on the counter. (A write into the result's own storage cannot show it: Relacy starts a
// fresh history for an object constructed over a failed one.)
struct fragile {
  static inline tpl::sync::cell<int>* copies = nullptr;
  tpl::sync::cell<int> value{0};
  bool throw_on_copy = false;
  explicit fragile(int v, bool throws = false) : value(v), throw_on_copy(throws) {}
  fragile(const fragile& other) : value(other.value.load()), throw_on_copy(false) {
    copies->store(copies->load() + 1);
    if (other.throw_on_copy) throw std::runtime_error("copy failed");
  }
  fragile& operator=(const fragile&) = delete;
};
using fragile_source = tpl::manual_reset_value_task_source<fragile>;

struct throwing_result_vs_await : rl::test_suite<throwing_result_vs_await, 3> {
  std::optional<fragile_source> source;
  std::uint64_t token = 0;
  tpl::sync::cell<int> got{0};
  tpl::sync::cell<int> runs{0};
  tpl::sync::cell<int> copies{0};

  static void resume(void* self) { static_cast<throwing_result_vs_await*>(self)->consume(); }
  void consume() {
    got.store(source->get_result(token).value.load());
    runs.store(runs.load() + 1);
  }
  void before() {
    source.emplace();
    token = source->version();
    got.store(0);
    runs.store(0);
    copies.store(0);
    fragile::copies = &copies;
  }
  void thread(unsigned index) {
    if (index == 0) {
      if (!source->on_completed(token, {&throwing_result_vs_await::resume, this})) consume();
    } else if (index == 1) {
      const fragile bad(1, true);
      try {
        source->set_result(bad);  // the copy throws after the claim: the claim is given back
      } catch (const std::runtime_error&) {
      } catch (const tpl::invalid_operation&) {  // producer 2 completed first
      }
    } else {
      // The second producer retries while the first holds the claim; it completes the operation.
      for (;;) {
        try {
          source->set_result(fragile(2));
          return;
        } catch (const tpl::invalid_operation&) {
          tpl::sync::spin_pause();
        }
      }
    }
  }
  void after() {
    RL_ASSERT(runs.load() == 1);
    RL_ASSERT(got.load() == 2);
    source.reset();
  }
};

// A consumer that sees the status `succeeded` sees what the producer wrote before completing,
// as .NET's GetStatus (a volatile read) promises.
struct status_publishes_prior_writes : rl::test_suite<status_publishes_prior_writes, 2> {
  std::optional<source_type> source;
  std::optional<tpl::sync::cell<int>> side;
  std::uint64_t token = 0;

  void before() {
    source.emplace();
    side.emplace(0);
    token = source->version();
  }
  void thread(unsigned index) {
    if (index == 0) {
      side->store(9);
      source->set_result(1);
    } else if (source->get_status(token) == tpl::value_task_source_status::succeeded) {
      RL_ASSERT(side->load() == 9);
    }
  }
  void after() {
    side.reset();
    source.reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<await_vs_complete>("await_vs_complete", "an awaiter registers while the producer completes",
                                           search::full()),
          make_scenario<coroutine_await>("coroutine_await",
                                         "a coroutine co_awaits source.task() while the producer completes",
                                         search::full()),
          make_scenario<reset_vs_consumer>("reset_vs_consumer",
                                           "the owner resets while a consumer and a stale consumer read op 0",
                                           search::context_bound(2)),
          make_scenario<producer_vs_reset>("producer_vs_reset",
                                           "the next operation's producer completes while the owner resets",
                                           search::context_bound(3)),
          make_scenario<two_awaiters>("two_awaiters", "two awaiters of one operation: one registers, one is refused",
                                      search::context_bound(3)),
          make_scenario<status_vs_reset>("status_vs_reset",
                                         "a consumer asks a completed operation's status while the owner resets it",
                                         search::full()),
          make_scenario<throwing_result_vs_await>(
              "throwing_result_vs_await",
              "a producer's result copy throws while a second producer retries and an awaiter registers",
              search::context_bound(2)),
          make_scenario<status_publishes_prior_writes>(
              "status_publishes_prior_writes", "a consumer that sees `succeeded` sees the producer's earlier writes",
              search::full()),
      },
      argc, argv);
}
