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
//   poller_vs_submit         the worker is the I/O poller (an I/O wait is pending), waiting in
//                            the mock kernel; a submit must interrupt it         context bound 3
//   registration_wakes_poller  no I/O wait pending, the worker falls asleep on the condition
//                            variable; a wait registers (the real io_poller
//                            counters), an I/O report comes: the worker must wake,
//                            take the role, poll and run the resumption          context bound 3
//   poller_installed_late    the reactor is published after both workers went
//                            idle (tpl::io starts after the default pool); a
//                            wait registers and is reported                     context bound 3
//   long_item_vs_registration  as poller_hands_off, but the first resumption runs until
//                            the second has: the role's hand-off and the second
//                            registrant's wake (the store-load pair behind the
//                            seq_cst fences) must not both miss                 context bound 2
//   poller_hands_off         two workers; one polls, takes a report whose
//                            resumption goes to its own deque, and hands the
//                            role on while a second wait registers and its
//                            report comes: both resumptions run                 context bound 2
// The mock kernel (mock_reactor) is a mutex and a condition variable: a wait in it that is
// never interrupted nor reported to is a Relacy DEADLOCK, as a lost wake-up on the sleeper is.
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

// The kernel as the I/O poller sees it: poll(-1) blocks until a report or an interrupt; a
// report's dispatch submits the operation's resumption to the pool (as queue_to does).
struct mock_reactor final : tpl::detail::io_poller {
  tpl::sync::mutex mutex;
  tpl::sync::condition_variable kernel;
  tpl::sync::cell<int> reports{0};       // under mutex: reports not yet taken
  tpl::sync::cell<bool> interrupted{false};  // under mutex
  tpl::detail::pool_intake<model_item*>* pool = nullptr;
  model_item* resumptions[2] = {nullptr, nullptr};  // what each report resumes, in order
  // The reactor's own state, touched by whoever holds the poller role and by nobody else, with
  // no lock (as the io_uring driver's list of ended requests): a race-checked cell, so a role
  // hand-over that does not order one poller's writes before the next one's is a DATA RACE.
  tpl::sync::cell<int> dispatched{0};

  void poll(int timeout_ms) noexcept override {
    int taken = 0;
    mutex.lock();
    if (timeout_ms != 0) kernel.wait(mutex, [&] { return reports.load() > 0 || interrupted.load(); });
    taken = reports.load();
    reports.store(0);
    interrupted.store(false);
    mutex.unlock();
    for (; taken > 0; --taken) {
      const int next = dispatched.load();
      dispatched.store(next + 1);
      const bool queued = pool->submit(resumptions[next]);
      RL_ASSERT(queued);  // the pool takes resumptions until shutdown cancels its waits
    }
  }
  void interrupt() noexcept override {
    mutex.lock();
    interrupted.store(true);
    mutex.unlock();
    kernel.notify_all();
  }
  void report() {
    mutex.lock();
    reports.store(reports.load() + 1);
    mutex.unlock();
    kernel.notify_all();
  }
};

// A worker's life as thread_pool lives it: run items until shutdown and an empty queue.
// `installed`: where the reactor is published (as tpl::io's install_io_poller), or nullptr for
// the plain pool.
template <class Run>
void worker_loop(tpl::detail::pool_intake<model_item*>& intake, Run run,
                 tpl::sync::atomic<tpl::detail::io_poller*>* installed = nullptr) {
  const auto current_poller = [&]() -> tpl::detail::io_poller* {
    // acquire: as current_io_poller().
    return installed == nullptr ? nullptr : installed->load(std::memory_order_acquire);
  };
  for (;;) {
    std::optional<model_item*> item = tpl::detail::find_work_or_park(
        intake.sleeper(), [&] { return intake.queue().try_pop(); }, [&] { return intake.stopping(); }, [] {},
        [] {}, current_poller, [&] {
          // thread_pool::hand_off_io_polling, for one pool.
          tpl::detail::io_poller* poller = current_poller();
          if (poller->has_pending_waits() && intake.sleeper().has_sleepers_hint()) intake.sleeper().notify_one();
        });
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

// Scenarios with the I/O poller. Items 1..Waits are the resumptions of I/O waits (each
// registered, then reported), item Waits+1 (when Submit) a plain submission. The worker that
// runs the last item shuts the pool down, so any lost wake-up (of the sleeper or of the kernel
// wait) leaves a worker blocked for ever: a DEADLOCK.
// WaitRegisteredFirst: the first wait is registered before the workers start, and (with
// Submit) reported only once the submitted item ran: the worker waits in the kernel with
// nothing to report, and only the submit's interrupt can get it out.
// InstallLate: the reactor is published by the first wait's thread just before it registers
// (tpl::io starts when first used, after the pools' workers went idle).
// LongFirstItem: the first resumption runs until the second has run (a long item), so the
// worker running it never polls again: only the role's hand-off or the second registrant's
// wake can get the other worker to poll, and if both miss, the test never ends.
template <int Workers, int Waits, bool Submit, bool WaitRegisteredFirst, bool InstallLate = false,
          bool LongFirstItem = false>
struct poller_suite : rl::test_suite<poller_suite<Workers, Waits, Submit, WaitRegisteredFirst, InstallLate, LongFirstItem>,
                                     Workers + Waits + (Submit ? 1 : 0) - (WaitRegisteredFirst ? 1 : 0)> {
  static constexpr int item_count = Waits + (Submit ? 1 : 0);
  std::optional<tpl::detail::pool_intake<model_item*>> pool;
  std::optional<mock_reactor> reactor;
  std::array<model_item, item_count + 1> items{};
  std::array<std::array<int, item_count + 1>, Workers> ran_by{};
  tpl::sync::atomic<int> items_run{0};
  tpl::sync::atomic<tpl::detail::io_poller*> installed{nullptr};

  void before() {
    pool.emplace();
    reactor.emplace();
    // relaxed: before the threads start.
    installed.store(InstallLate ? nullptr : &*reactor, std::memory_order_relaxed);
    reactor->pool = &*pool;
    for (int item = 1; item <= item_count; ++item) items[item].id = item;
    for (int wait = 0; wait < Waits; ++wait) reactor->resumptions[wait] = &items[wait + 1];
    if (WaitRegisteredFirst) (void)reactor->wait_registered();  // before any worker runs
  }

  void thread(unsigned index) {
    if (index < Workers) {
      worker_loop(*pool, [&](int item) {
        ++ran_by[index][item];
        if (LongFirstItem && item == 1) {
          // acquire: pairs with the fetch_add below (the second item ran).
          while (items_run.load(std::memory_order_acquire) == 0) tpl::sync::spin_pause();
        }
        if (LongFirstItem && item == 1) {
          // acquire: pairs with the fetch_add below (the second item ran).
          while (items_run.load(std::memory_order_acquire) == 0) tpl::sync::spin_pause();
        }
        if (item <= Waits) reactor->wait_left();  // the resumption leaves its pool's waits
        if (WaitRegisteredFirst && Submit && item == item_count) reactor->report();
        // acq_rel: only the count matters (the shutdown orders what follows it); release for the
        // long item's wait above.
        if (items_run.fetch_add(1, std::memory_order_acq_rel) + 1 == item_count) pool->begin_shutdown();
      }, &installed);
      return;
    }
    const unsigned other = index - Workers + (WaitRegisteredFirst ? 1 : 0);  // wait 0 has no thread then
    if (static_cast<int>(other) < Waits) {
      // An operation waits (readiness_awaiter): registered, and if nobody polls, a sleeping
      // worker of its pool is woken to take the role. Then the kernel reports it.
      // release: as install_io_poller().
      if (InstallLate && other == 0) installed.store(&*reactor, std::memory_order_release);
      if (reactor->wait_registered()) pool->sleeper().notify_one();
      reactor->report();
      return;
    }
    const bool queued = pool->submit(&items[item_count]);
    RL_ASSERT(queued);
  }

  void after() {
    for (int item = 1; item <= item_count; ++item) {
      int times = 0;
      for (const auto& row : ran_by) times += row[item];
      RL_ASSERT(times == 1);  // every resumption and the submission ran exactly once
    }
    reactor.reset();
    pool.reset();
  }
};

using poller_vs_submit = poller_suite<1, 1, true, true>;
using registration_wakes_poller = poller_suite<1, 1, false, false>;
using poller_hands_off = poller_suite<2, 2, false, false>;
using poller_installed_late = poller_suite<2, 1, false, false, true>;
using long_item_vs_registration = poller_suite<2, 2, false, false, false, true>;

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
          make_scenario<poller_vs_submit>("poller_vs_submit",
                                          "a submit reaches the worker that waits in the kernel as the I/O poller",
                                          search::context_bound(3)),
          make_scenario<registration_wakes_poller>(
              "registration_wakes_poller", "an I/O wait registers while the only worker falls asleep; its report comes",
              search::context_bound(3)),
          make_scenario<poller_installed_late>(
              "poller_installed_late", "the reactor appears after both workers went idle; a wait registers and is reported",
              search::context_bound(3)),
          make_scenario<long_item_vs_registration>(
              "long_item_vs_registration",
              "the first resumption runs until the second has: the other worker must be made to poll",
              search::context_bound(2)),
          make_scenario<poller_hands_off>("poller_hands_off",
                                          "two workers, two I/O waits: the poller hands the role on as it leaves",
                                          search::context_bound(2)),
      },
      argc, argv);
}
