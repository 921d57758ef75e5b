// Relacy model of the timer service with the real delay(): the shipped timer_service queue
// (schedule, cancel, fire_due, stop; only the thread's sleep-until-deadline loop, which reads
// the real clock, is left out) and the real delay state, cancellation registration and
// completion source. A model thread plays the reactor's poller by calling fire_due(); due
// callbacks are dispatched inline on it (the production dispatcher hands them to the pool).
//
// Invariants: the delay ends (completed or canceled) and nobody waits forever (a thread that
// waits for a lock held by a thread waiting for it is a Relacy DEADLOCK, a spin that never ends
// a LIVELOCK); every state, callback and node is freed exactly once (Relacy's heap).
//
// Scenarios:
//   expiry_vs_cancel          the timer fires a delay while its token is canceled: the
//                             delay's cancel callback disarms the timer (takes its lock)
//                             while the timer drops the delay's last reference
//   expiry_vs_cancel_vs_dispose  as above, while a third thread drops the task handle
//   stop_vs_cancel            process exit (stop() drops pending timers) races a
//                             cancellation of a pending delay
// Each is a random search of 300,000 executions: delay(), its registration and completion source
// make too many steps for a systematic one (context bound 1 alone is 2M executions, 17 s, for
// expiry_vs_cancel; bound 3 did not end in 10 minutes).
// Before the fix (issue 9, bug 1), expiry_vs_cancel reported a DEADLOCK: the timer destroyed its
// batch of due callbacks after re-taking its lock (docs/testing.md quotes the report).
#include <chrono>
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/delay.hpp"
#include "tpl/detail/timer_service.hpp"

namespace {

using namespace std::chrono_literals;
using tpl::detail::timer_service;

// Set by each suite's before(); timer_service::instance() (below) hands it to delay().
timer_service* model_service = nullptr;

void dispatch_inline(timer_service::callback& due) { due(); }

// What every scenario starts from: a service (the one delay() uses while the scenario runs), a
// source and one delay on its token; and what each tears down.
struct delay_fixture {
  std::optional<timer_service> service;
  std::optional<tpl::cancellation_token_source> source;
  std::optional<tpl::task<>> delayed;

  template <class Rep, class Period>
  void create(std::chrono::duration<Rep, Period> duration) {
    service.emplace(&dispatch_inline);
    model_service = &*service;
    source.emplace();
    delayed.emplace(tpl::delay(duration, source->token()));
  }
  void destroy() {
    delayed.reset();
    source.reset();
    service.reset();
    model_service = nullptr;
  }
};

template <int Threads, bool Dispose>
struct expiry_suite : rl::test_suite<expiry_suite<Threads, Dispose>, Threads>, delay_fixture {
  void before() { create(1ms); }
  void thread(unsigned index) {
    if (index == 0) {
      service->fire_due(timer_service::clock::time_point::max());  // the poller's timer step
    } else if (index == 1) {
      source->cancel();
    } else if (Dispose) {
      delayed.reset();  // the last task handle, in whatever state the race left it
    }
  }
  void after() {
    if (delayed) RL_ASSERT(delayed->is_completed_successfully() || delayed->is_canceled());
    RL_ASSERT(service->pending() == 0);
    destroy();
  }
};

// stop() at exit drops every pending timer while a cancellation disarms one of them.
struct stop_vs_cancel : rl::test_suite<stop_vs_cancel, 2>, delay_fixture {
  void before() { create(1h); }
  void thread(unsigned index) {
    if (index == 0) {
      service->stop();
    } else {
      source->cancel();
    }
  }
  void after() {
    // Canceled, or dropped by stop(): a dropped delay faults with broken_promise, never hangs.
    RL_ASSERT(delayed->is_canceled() || delayed->is_faulted());
    (void)delayed->exception();  // observed: no unobserved-exception report
    destroy();
  }
};

using expiry_vs_cancel = expiry_suite<2, false>;
using expiry_vs_cancel_vs_dispose = expiry_suite<3, true>;

}  // namespace

// The model's process-wide service: the one the running scenario built.
timer_service& timer_service::instance() { return *model_service; }

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<expiry_vs_cancel>("expiry_vs_cancel",
                                          "the timer fires a delay while its token is canceled", search::random(300000)),
          make_scenario<expiry_vs_cancel_vs_dispose>(
              "expiry_vs_cancel_vs_dispose", "expiry, cancellation and the last task handle dropped on three threads",
              search::random(300000)),
          make_scenario<stop_vs_cancel>("stop_vs_cancel", "exit drops pending timers while one is canceled",
                                        search::random(300000)),
      },
      argc, argv);
}
