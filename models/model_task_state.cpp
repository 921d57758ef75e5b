// Relacy model of detail::task_state — the real header: the complete-once transition, the
// forward-only continuation slot, the reference count.
//
// Invariants, on every explored execution: exactly one completer wins; each continuation runs
// exactly once (by the completer, or by its registrant when registration found the task
// complete) and sees the outcome the winner wrote (a plain, race-checked cell); a reader that
// sees a final status sees the outcome; the state is destroyed exactly once by whoever drops
// the last reference, never used after (Relacy's heap: no leak, no use after free).
//
// Scenarios:
//   complete_vs_register          1 completer vs 1 registrant                   full search
//   two_completers                2 completers race; the loser must see false   full search
//   two_registrants_two_each      1 completer vs 2 registrants x 2 continuations context bound 3
//                                 (full search does not finish in 2 minutes)
//   schedule_then_run             created -> waiting_to_run hands the body to a worker
//                                 that moves it to running                      full search
//   cancel_while_queued           a cancellation callback (try_reserve_completion_if) races the
//                                 worker starting the queued task (try_transition): one wins
//                                                                               full search
//   last_release_vs_complete      completer and registrant each drop a reference
//                                 after their work; the last one frees the state full search
#include <array>
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/detail/task_state.hpp"

namespace {

using tpl::task_status;
using tpl::detail::continuation;
using tpl::detail::task_state;

// A continuation that records that it ran and checks the outcome it sees.
struct recording_continuation : continuation {
  recording_continuation() : continuation(&recording_continuation::run) {}
  static void run(continuation* self) {
    auto* me = static_cast<recording_continuation*>(self);
    RL_ASSERT(me->outcome->load() == 42);  // the completer's write is visible
    me->runs.store(me->runs.load() + 1);
  }
  tpl::sync::cell<int>* outcome = nullptr;
  tpl::sync::cell<int> runs{0};
};

void complete_with_42(task_state& state, tpl::sync::cell<int>& outcome) {
  if (state.try_reserve_completion()) {
    outcome.store(42);
    state.complete(task_status::ran_to_completion);
  }
}

void register_or_run(task_state& state, recording_continuation& node) {
  if (!state.add_continuation(&node)) node.invoke(&node);  // already complete: run it here
}

template <int Registrants, int PerRegistrant>
struct register_suite : rl::test_suite<register_suite<Registrants, PerRegistrant>, 1 + Registrants> {
  std::optional<task_state> state;
  std::optional<tpl::sync::cell<int>> outcome;
  std::optional<std::array<std::array<recording_continuation, PerRegistrant>, Registrants>> nodes;

  void before() {
    state.emplace(task_status::waiting_for_activation);
    outcome.emplace(0);
    nodes.emplace();
    for (auto& row : *nodes) {
      for (auto& node : row) node.outcome = &*outcome;
    }
  }
  void thread(unsigned index) {
    if (index == 0) {
      complete_with_42(*state, *outcome);
      return;
    }
    for (auto& node : (*nodes)[index - 1]) register_or_run(*state, node);
  }
  void after() {
    RL_ASSERT(state->status() == task_status::ran_to_completion);
    for (auto& row : *nodes) {
      for (auto& node : row) RL_ASSERT(node.runs.load() == 1);
    }
    nodes.reset();
    outcome.reset();
    state.reset();
  }
};

using complete_vs_register = register_suite<1, 1>;
using two_registrants_two_each = register_suite<2, 2>;

struct two_completers : rl::test_suite<two_completers, 3> {
  std::optional<task_state> state;
  std::optional<tpl::sync::cell<int>> outcome;
  std::array<int, 2> won{};  // each completer writes its own slot

  void before() {
    state.emplace(task_status::waiting_for_activation);
    outcome.emplace(0);
  }
  void thread(unsigned index) {
    if (index < 2) {
      if (state->try_reserve_completion()) {
        won[index] = 1;
        outcome->store(static_cast<int>(index) + 1);
        state->complete(index == 0 ? task_status::ran_to_completion : task_status::faulted);
      }
      return;
    }
    // An observer: a final status comes with the winner's outcome.
    const task_status seen = state->status();
    if (tpl::is_final(seen)) RL_ASSERT(outcome->load() == (seen == task_status::ran_to_completion ? 1 : 2));
  }
  void after() {
    RL_ASSERT(won[0] + won[1] == 1);  // exactly one winner
    RL_ASSERT(state->status() == (won[0] ? task_status::ran_to_completion : task_status::faulted));
    RL_ASSERT(!state->try_reserve_completion());  // a later completer fails too
    outcome.reset();
    state.reset();
  }
};

// The state lives on Relacy's heap with two references (completer's, registrant's), next to
// plain data of the task (`payload`, a race-checked cell, as a typed task keeps its result);
// each owner reads the payload, then drops its reference, and the one that drops the last
// destroys both, writing to the payload as a result's destructor would. That write races with
// the other owner's read unless the reference count's decrement orders them (release by every
// owner, acquire by the last).
struct last_release_vs_complete : rl::test_suite<last_release_vs_complete, 2> {
  struct shared_block {
    task_state state{task_status::waiting_for_activation};
    tpl::sync::cell<int> payload{7};
  };
  shared_block* block = nullptr;
  std::optional<tpl::sync::cell<int>> outcome;
  std::optional<recording_continuation> node;

  void before() {
    void* storage = tpl::sync::allocate_bytes(sizeof(shared_block), alignof(shared_block));
    block = ::new (storage) shared_block();
    block->state.add_reference();  // two owners
    outcome.emplace(0);
    node.emplace();
    node->outcome = &*outcome;
  }
  static void release(shared_block* owned) {
    if (owned->state.release_reference()) {
      owned->payload.store(0);  // destroying a result writes to it (think of a std::string's destructor)
      owned->~shared_block();
      tpl::sync::deallocate_bytes(owned, sizeof(shared_block), alignof(shared_block));
    }
  }
  void thread(unsigned index) {
    shared_block* mine = block;  // each thread holds its own reference
    if (index == 0) {
      complete_with_42(mine->state, *outcome);
    } else {
      register_or_run(mine->state, *node);
    }
    RL_ASSERT(mine->payload.load() == 7);
    release(mine);
  }
  void after() {
    RL_ASSERT(node->runs.load() == 1);
    node.reset();
    outcome.reset();
  }
};

// A scheduler hands a created task to a worker through the state word alone: it prepares the
// body (a plain cell) and moves created -> waiting_to_run; the worker moves waiting_to_run ->
// running and must then see the body.
struct schedule_then_run : rl::test_suite<schedule_then_run, 2> {
  std::optional<task_state> state;
  std::optional<tpl::sync::cell<int>> body;

  void before() {
    state.emplace(task_status::created);
    body.emplace(0);
  }
  void thread(unsigned index) {
    if (index == 0) {
      body->store(7);
      RL_ASSERT(state->try_transition(task_status::created, task_status::waiting_to_run));
    } else if (state->try_transition(task_status::waiting_to_run, task_status::running)) {
      RL_ASSERT(body->load() == 7);
    }
  }
  void after() {
    body.reset();
    state.reset();
  }
};

// run(fn, token): a cancellation callback tries to end a queued task while a worker starts it.
// Exactly one of them completes it; the other backs off (no second completion, no lost one).
struct cancel_while_queued : rl::test_suite<cancel_while_queued, 2> {
  std::optional<task_state> state;
  std::optional<tpl::sync::cell<int>> outcome;
  int completions[2] = {0, 0};

  void before() {
    state.emplace(task_status::waiting_to_run);
    outcome.emplace(0);
    completions[0] = completions[1] = 0;
  }
  void thread(unsigned index) {
    if (index == 0) {  // the token's callback
      if (state->try_reserve_completion_if(task_status::waiting_to_run)) {
        outcome->store(-1);
        state->complete(task_status::canceled);
        completions[0] = 1;
      }
    } else if (state->try_transition(task_status::waiting_to_run, task_status::running)) {  // the worker
      outcome->store(1);
      state->complete(task_status::ran_to_completion);
      completions[1] = 1;
    }
  }
  void after() {
    RL_ASSERT(completions[0] + completions[1] == 1);
    RL_ASSERT(state->status() == (completions[0] ? task_status::canceled : task_status::ran_to_completion));
    RL_ASSERT(outcome->load() == (completions[0] ? -1 : 1));
    outcome.reset();
    state.reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<complete_vs_register>("complete_vs_register",
                                              "completion races the registration of one continuation",
                                              search::full()),
          make_scenario<two_completers>("two_completers", "two completers race; an observer reads the status",
                                        search::full()),
          make_scenario<two_registrants_two_each>("two_registrants_two_each",
                                                  "two registrants push two continuations each during completion",
                                                  search::context_bound(3)),
          make_scenario<schedule_then_run>("schedule_then_run",
                                           "a scheduled task's body is visible to the worker that starts it",
                                           search::full()),
          make_scenario<cancel_while_queued>("cancel_while_queued",
                                             "a token's callback and a worker race to end / start a queued task",
                                             search::full()),
          make_scenario<last_release_vs_complete>("last_release_vs_complete",
                                                  "the last reference is dropped while completion runs continuations",
                                                  search::full()),
      },
      argc, argv);
}
