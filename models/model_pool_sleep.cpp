// Relacy model of the pool's sleep/wake protocol: the real detail::pool_intake (injection
// queue, idle sleeper, stopping flag) and detail::find_work_or_park, driven the way
// thread_pool drives them (a worker = find_work_or_park until it gives up).
//
// Invariants, on every explored execution: every accepted item runs exactly once; a refused
// submission is refused only after shutdown began; every worker terminates (a lost wake-up
// leaves a worker asleep forever, which Relacy reports as a DEADLOCK); no data race, no leak.
//
// Scenarios:
//   submit_vs_sleep          1 worker falling asleep vs 1 submit; running the item
//                            shuts the pool down                                 context bound 4
//   two_workers_two_submits  2 workers vs 2 submitters; the worker that runs the
//                            last item shuts the pool down                       context bound 1
//   shutdown_vs_submit       shutdown racing a submit while the worker sleeps     context bound 3
// A joiner's wait is no longer part of this protocol: it parks on its own join_signal
// (models/model_join_signal.cpp), never among the idle workers.
// Full search does not end here: the worker loops (spin, sleep, wake) until shutdown.
#include <array>
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/detail/pool_intake.hpp"
#include "tpl/detail/pool_worker.hpp"

namespace {

// A queued item: its number, and the link the intrusive injection queue threads it by.
struct model_item {
  int id = 0;
  model_item* next_in_queue = nullptr;
};

// A worker's life as thread_pool lives it: run items until shutdown and an empty queue.
template <class Run>
void worker_loop(tpl::detail::pool_intake<model_item*>& intake, Run run) {
  for (;;) {
    std::optional<model_item*> item = tpl::detail::find_work_or_park(
        intake.sleeper(), [&] { return intake.queue().try_pop(); }, [&] { return intake.stopping(); }, [] {},
        [] {});
    if (!item) return;
    run((*item)->id);
  }
}

template <int Workers, int Submitters, bool ShutdownRacesSubmit>
struct sleep_suite : rl::test_suite<sleep_suite<Workers, Submitters, ShutdownRacesSubmit>,
                                    Workers + Submitters + (ShutdownRacesSubmit ? 1 : 0)> {
  static constexpr int item_count = Submitters;
  std::optional<tpl::detail::pool_intake<model_item*>> pool;
  std::array<model_item, item_count + 1> items{};
  std::array<int, item_count + 1> runs{};          // per item: written by the worker that ran it
  std::array<std::array<int, item_count + 1>, Workers> ran_by{};
  std::array<int, item_count + 1> accepted{};      // per item: written by its submitter
  tpl::sync::atomic<int> items_run{0};

  void before() { pool.emplace(); }

  void thread(unsigned index) {
    if (index < Workers) {
      worker_loop(*pool, [&](int item) {
        ++ran_by[index][item];
        // Without a racing shutdown thread, running the last item is what shuts the pool
        // down: only a worker that was woken for every item gets there, so a lost wake-up
        // leaves the workers asleep for ever and Relacy reports a deadlock.
        // relaxed: only the count matters; the shutdown orders what follows it.
        if (!ShutdownRacesSubmit && items_run.fetch_add(1, std::memory_order_relaxed) + 1 == Submitters) {
          pool->begin_shutdown();
        }
      });
      return;
    }
    const unsigned submitter = index - Workers;
    if (submitter < Submitters) {
      const int item = static_cast<int>(submitter) + 1;
      items[item].id = item;
      accepted[item] = pool->submit(&items[item]) ? 1 : 0;
      return;
    }
    pool->begin_shutdown();  // the racing shutdown thread
  }

  void after() {
    for (int item = 1; item <= item_count; ++item) {
      int times = 0;
      for (const auto& row : ran_by) times += row[item];
      RL_ASSERT(times == accepted[item]);  // accepted items run exactly once, refused ones never
      if (!ShutdownRacesSubmit) RL_ASSERT(accepted[item] == 1);  // nothing refused before shutdown
    }
    pool.reset();
  }
};

using submit_vs_sleep = sleep_suite<1, 1, false>;
using two_workers_two_submits = sleep_suite<2, 2, false>;
using shutdown_vs_submit = sleep_suite<1, 1, true>;

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<submit_vs_sleep>("submit_vs_sleep", "a submit races the worker going to sleep",
                                         search::context_bound(4)),
          make_scenario<two_workers_two_submits>("two_workers_two_submits",
                                                 "two submits race two workers going to sleep",
                                                 search::context_bound(1)),
          make_scenario<shutdown_vs_submit>("shutdown_vs_submit",
                                            "shutdown races a submit while the worker sleeps",
                                            search::context_bound(3)),
      },
      argc, argv);
}
