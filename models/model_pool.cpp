// Relacy model of the shipped thread_pool: core/src/thread_pool.cpp itself is compiled into this
// model (against the Relacy backend of tpl::sync), so the scenarios below run the production
// worker loop, steals, the idle sleeper, pool_worker::wait_for with its own-subtree rule, the
// parking on join_signal and the spare threads that compensate for a parked worker. Only the
// default pool's exit handler and its timer hook are left out (stubbed below; not reached).
//
// Invariants: every item runs exactly once (counts in plain cells, race-checked); every wait
// returns and shutdown() joins every thread (a lost wake-up, a missing spare or a wait that
// cannot return is a DEADLOCK); no data race, no leak, no access to freed memory.
//
// Scenarios (random search, bounded: the whole pool is too big for a systematic one):
//   restricted_waiter_vs_submit  2 workers: an item waits (wait_for) on a signal that only a
//                          later outside submission sets; the waiter must not swallow the
//                          wake-up meant for the idle worker (issue 9, bug 3)
//   handover_one_worker    1 worker: the only worker parks in a wait; a spare must start and
//                          run the outside submission that releases it (the compensation)
//   fork_vs_sleeping_thief 2 workers: an item forks a child onto its own deque and joins it
//                          while the other worker is falling asleep or stealing it
//   parked_deque_drained_by_spare  1 worker: a wait runs the item pushed after it began (its
//                          own subtree) and leaves an enclosing frame's item to a spare
//   task_get_on_a_worker   1 worker: task code on the pool. An item blocks in task::get() on a
//                          completion source (blocking_wait's worker path parks it); a spare
//                          runs the item that completes the source, whose asynchronous
//                          continuations are queued from that spare (task_scheduling). A worker
//                          that dropped the queued continuation DEADLOCKs at iteration 1.
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/detail/join_signal.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"
#include "tpl/thread_pool.hpp"

// The shipped pool, compiled here against the Relacy backend.
#include "../core/src/thread_pool.cpp"
#include "../core/src/task_scheduling.cpp"
#include "../core/src/blocking_wait.cpp"

// Stubs for what the default pool's exit handler calls (never run in a model).
void tpl::detail::timer_service::stop_at_exit() {}

namespace {

using tpl::detail::join_signal;
using tpl::detail::pool_worker;

// An item that waits, from inside a worker, for `signal`, as task::get() does.
struct wait_item : tpl::detail::work_item {
  join_signal* signal = nullptr;
  tpl::sync::cell<int>* ran = nullptr;
  wait_item() : work_item{&wait_item::run_it} {}
  static void run_it(work_item* self, bool) {
    auto* me = static_cast<wait_item*>(self);
    pool_worker* worker = tpl::detail::current_worker();
    RL_ASSERT(worker != nullptr);
    worker->wait_for(*me->signal, worker->wait_mark(), nullptr);
    me->ran->store(me->ran->load() + 1);
  }
};

// An item that sets `signal` (a completing task's continuation).
struct set_item : tpl::detail::work_item {
  join_signal* signal = nullptr;
  tpl::sync::cell<int>* ran = nullptr;
  set_item() : work_item{&set_item::run_it} {}
  static void run_it(work_item* self, bool) {
    auto* me = static_cast<set_item*>(self);
    me->ran->store(me->ran->load() + 1);
    me->signal->set();
  }
};

tpl::thread_pool::options model_options(std::size_t workers) {
  tpl::thread_pool::options settings;
  settings.worker_count = workers;
  return settings;
}

// Outside thread: submit a waiter, then the item that releases it, then shut down.
template <std::size_t Workers>
struct waiter_vs_submit : rl::test_suite<waiter_vs_submit<Workers>, 1> {
  static const std::size_t dynamic_thread_count = Workers + tpl::config::max_spare_threads;
  std::optional<tpl::thread_pool> pool;
  std::optional<join_signal> signal;
  std::optional<tpl::sync::cell<int>> waited, released;
  std::optional<wait_item> waiter;
  std::optional<set_item> releaser;

  void before() {
    signal.emplace();
    waited.emplace(0);
    released.emplace(0);
    waiter.emplace();
    waiter->signal = &*signal;
    waiter->ran = &*waited;
    releaser.emplace();
    releaser->signal = &*signal;
    releaser->ran = &*released;
  }
  void thread(unsigned) {
    pool.emplace(model_options(Workers));
    tpl::detail::pool_access::submit_item(*pool, &*waiter);
    tpl::detail::pool_access::submit_item(*pool, &*releaser);
    pool->shutdown();  // drains: both items run, the wait returns, every thread is joined
    RL_ASSERT(waited->load() == 1);
    RL_ASSERT(released->load() == 1);
    pool.reset();
  }
  void after() {
    releaser.reset();
    waiter.reset();
    released.reset();
    waited.reset();
    signal.reset();
  }
};

// A fork and its join inside a worker, while the other worker steals or sleeps.
struct child_item : tpl::detail::fork_item {
  tpl::sync::cell<int>* ran = nullptr;
  child_item() { run = &child_item::run_it; }
  static void run_it(work_item* self, bool via_scheduler) {
    auto* me = static_cast<child_item*>(self);
    me->ran->store(me->ran->load() + 1);
    if (via_scheduler) me->signal_joiner();
  }
};

struct forking_item : tpl::detail::work_item {
  tpl::sync::cell<int>* child_ran = nullptr;
  tpl::sync::cell<int>* joined = nullptr;
  forking_item() : work_item{&forking_item::run_it} {}
  static void run_it(work_item* self, bool) {
    auto* me = static_cast<forking_item*>(self);
    pool_worker& worker = *tpl::detail::current_worker();
    child_item child;
    child.ran = me->child_ran;
    worker.fork(child);
    worker.join(child);
    RL_ASSERT(me->child_ran->load() == 1);  // the join returned after the child ran
    me->joined->store(1);
  }
};

struct fork_vs_sleeping_thief : rl::test_suite<fork_vs_sleeping_thief, 1> {
  static const std::size_t dynamic_thread_count = 2 + tpl::config::max_spare_threads;
  std::optional<tpl::thread_pool> pool;
  std::optional<tpl::sync::cell<int>> child_ran, joined;
  std::optional<forking_item> root;

  void before() {
    child_ran.emplace(0);
    joined.emplace(0);
    root.emplace();
    root->child_ran = &*child_ran;
    root->joined = &*joined;
  }
  void thread(unsigned) {
    pool.emplace(model_options(2));
    tpl::detail::pool_access::submit_item(*pool, &*root);
    pool->shutdown();
    RL_ASSERT(joined->load() == 1);
    RL_ASSERT(child_ran->load() == 1);
    pool.reset();
  }
  void after() {
    root.reset();
    joined.reset();
    child_ran.reset();
  }
};

// One worker. An item pushes a releaser onto its own deque, then waits for the signal the
// releaser sets. The releaser lies below the wait's mark (it is not the wait's own subtree), so
// the wait leaves it alone and parks; the spare that compensates must steal it from the parked
// worker's deque, or nothing ever sets the signal.
struct nested_wait_item : tpl::detail::work_item {
  set_item* releaser = nullptr;
  join_signal* outer_signal = nullptr;
  tpl::sync::cell<int>* done = nullptr;
  nested_wait_item() : work_item{&nested_wait_item::run_it} {}
  static void run_it(work_item* self, bool) {
    auto* me = static_cast<nested_wait_item*>(self);
    pool_worker& worker = *tpl::detail::current_worker();
    worker.push(me->releaser);  // below the mark of the wait below
    worker.wait_for(*me->outer_signal, worker.wait_mark(), nullptr);
    me->done->store(1);
  }
};

struct parked_deque_drained_by_spare : rl::test_suite<parked_deque_drained_by_spare, 1> {
  static const std::size_t dynamic_thread_count = 1 + tpl::config::max_spare_threads;
  std::optional<tpl::thread_pool> pool;
  std::optional<join_signal> signal;
  std::optional<tpl::sync::cell<int>> released, done;
  std::optional<set_item> releaser;
  std::optional<nested_wait_item> outer;

  void before() {
    signal.emplace();
    released.emplace(0);
    done.emplace(0);
    releaser.emplace();
    releaser->signal = &*signal;
    releaser->ran = &*released;
    outer.emplace();
    outer->releaser = &*releaser;
    outer->outer_signal = &*signal;
    outer->done = &*done;
  }
  void thread(unsigned) {
    pool.emplace(model_options(1));
    tpl::detail::pool_access::submit_item(*pool, &*outer);
    pool->shutdown();
    RL_ASSERT(done->load() == 1);
    RL_ASSERT(released->load() == 1);
    pool.reset();
  }
  void after() {
    outer.reset();
    releaser.reset();
    done.reset();
    released.reset();
    signal.reset();
  }
};

// Task code on the pool (the paths model builds used to compile out): an item on the only
// worker blocks in task::get() on a completion source's task (blocking_wait's worker path: the
// task cannot be claimed inline, so the worker parks on a worker_waiter and a spare starts);
// a later item, run by that spare, completes the source, whose asynchronous continuations are
// queued from the spare to its own deque (task_scheduling's queue_to_pool) and wake the
// worker.
struct getter_item : tpl::detail::work_item {
  tpl::task_completion_source<int>* source = nullptr;
  tpl::sync::cell<int>* seen = nullptr;
  getter_item() : work_item{&getter_item::run_it} {}
  static void run_it(work_item* self, bool) {
    auto* me = static_cast<getter_item*>(self);
    RL_ASSERT(tpl::detail::current_worker() != nullptr);
    me->seen->store(me->source->task().get());
  }
};

struct setter_item : tpl::detail::work_item {
  tpl::task_completion_source<int>* source = nullptr;
  setter_item() : work_item{&setter_item::run_it} {}
  static void run_it(work_item* self, bool) { static_cast<setter_item*>(self)->source->set_result(7); }
};

struct task_get_on_a_worker : rl::test_suite<task_get_on_a_worker, 1> {
  static const std::size_t dynamic_thread_count = 1 + tpl::config::max_spare_threads;
  std::optional<tpl::thread_pool> pool;
  std::optional<tpl::task_completion_source<int>> source;
  std::optional<tpl::sync::cell<int>> seen;
  std::optional<getter_item> getter;
  std::optional<setter_item> setter;

  void before() {
    source.emplace(tpl::task_creation_options::run_continuations_asynchronously);
    seen.emplace(0);
    getter.emplace();
    getter->source = &*source;
    getter->seen = &*seen;
    setter.emplace();
    setter->source = &*source;
  }
  void thread(unsigned) {
    pool.emplace(model_options(1));
    tpl::detail::pool_access::submit_item(*pool, &*getter);
    tpl::detail::pool_access::submit_item(*pool, &*setter);
    pool->shutdown();  // drains: the get returns, every thread is joined
    RL_ASSERT(seen->load() == 7);
    pool.reset();
  }
  void after() {
    setter.reset();
    getter.reset();
    seen.reset();
    source.reset();
  }
};

using restricted_waiter_vs_submit = waiter_vs_submit<2>;
using handover_one_worker = waiter_vs_submit<1>;

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<restricted_waiter_vs_submit>(
              "restricted_waiter_vs_submit", "2 workers: a parked waiter vs the outside submission that releases it",
              search::random(200000), search::random(60000)),
          make_scenario<handover_one_worker>("handover_one_worker",
                                             "1 worker parks: a spare must run the item that releases it",
                                             search::random(200000), search::random(60000)),
          make_scenario<task_get_on_a_worker>(
              "task_get_on_a_worker",
              "task::get() parks a worker; a spare completes the source and queues its continuations",
              search::random(200000), search::random(60000)),
          make_scenario<fork_vs_sleeping_thief>("fork_vs_sleeping_thief",
                                                "a fork and join while the other worker steals or sleeps",
                                                search::random(200000), search::random(60000)),
          make_scenario<parked_deque_drained_by_spare>(
              "parked_deque_drained_by_spare", "a parked worker's own item is stolen by the spare",
              search::random(200000), search::random(60000)),
      },
      argc, argv);
}
