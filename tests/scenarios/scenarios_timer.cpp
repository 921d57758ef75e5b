// Timer scenarios: delays canceled around their expiry (issue 9, bug 1: the timer thread dropped
// the last reference to a delay under its lock while the delay's cancel callback waited for that
// lock, which hung the canceling thread and every later timer).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "support/failing_allocator.hpp"
#include "scenarios.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/delay.hpp"

namespace {

using namespace std::chrono_literals;

// Rounds of 50 one-millisecond delays whose token is canceled about when they fall due, so
// that expiry, cancellation and the last release race in every round.
TPL_SCENARIO("timer_cancel_at_expiry") {
  const int rounds = argc > 0 ? std::atoi(argv[0]) : 2000;
  // Cancel this long after the first delay was created (they fall due after 1 ms); the rounds
  // sweep 0.8 to 1.2 ms around it so that some cancellations land inside the expiry.
  const int centre_us = argc > 1 ? std::atoi(argv[1]) : 1000;
  for (int round = 0; round < rounds; ++round) {
    tpl::cancellation_token_source source;
    std::vector<tpl::task<>> delays;
    delays.reserve(50);
    const auto start = std::chrono::steady_clock::now();
    for (int index = 0; index < 50; ++index) delays.push_back(tpl::delay(1ms, source.token()));
    const auto cancel_at = std::chrono::microseconds(centre_us - 200 + (round * 37) % 400);
    while (std::chrono::steady_clock::now() - start < cancel_at) {
    }
    source.cancel();
    for (auto& each : delays) {
      try {
        each.wait();
      } catch (const tpl::aggregate_exception&) {
        // canceled: expected for the delays the cancellation reached first
      }
      if (!each.is_completed_successfully() && !each.is_canceled()) {
        std::fprintf(stderr, "round %d: a delay ended %s\n", round, each.is_faulted() ? "faulted" : "incomplete");
        return 1;
      }
    }
  }
  std::printf("%d rounds of 50 delays canceled at expiry\n", rounds);
  return 0;
}

// schedule() under allocation failure (issue 9, bug 1): whichever of its allocations fails, the
// two maps stay in step (no orphan deadline entry), and later timers still fire.
TPL_SCENARIO("timer_schedule_out_of_memory") {
  auto& service = tpl::detail::timer_service::instance();
  tpl::delay(1ms).wait();  // the service and its thread exist
  const std::size_t before = service.pending();
  int failures = 0;
  for (int nth = 1; nth <= 8; ++nth) {
    tpl::detail::timer_service::callback expiry = [] {};
    tpl::detail::timer_service::timer_id id = 0;
    tpl_scenarios::fail_allocation(nth);
    try {
      id = service.schedule(std::chrono::steady_clock::now() + 1h, std::move(expiry));
    } catch (const std::bad_alloc&) {
    }
    const bool failed = tpl_scenarios::disarm_allocation_failure();
    failures += failed ? 1 : 0;
    if (id != 0) (void)service.cancel(id);
    if (service.pending() != before) {
      std::fprintf(stderr, "allocation %d failed: %zu timers pending, expected %zu (an orphan entry)\n", nth,
                   service.pending(), before);
      return 1;
    }
    tpl::delay(1ms).wait();  // a later timer still fires
  }
  std::printf("schedule() survived %d injected allocation failures with its maps in step\n", failures);
  return failures > 0 ? 0 : 2;  // 2: the injection never hit schedule(): the scenario tests nothing
}

}  // namespace
