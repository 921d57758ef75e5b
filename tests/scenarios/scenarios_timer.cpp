// Timer scenarios: delays canceled around their expiry (issue 9, bug 1: the timer thread dropped
// the last reference to a delay under its lock while the delay's cancel callback waited for that
// lock, which hung the canceling thread and every later timer).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "support/failing_allocator.hpp"
#include "scenarios.hpp"
#include "tpl/detail/io_poller.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/io/socket.hpp"
#include "tpl/io/stream.hpp"
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

// tpl::io starts while a worker waits in poll(2) for a far timer (issue 30: timers live in the
// reactor, and the I/O driver attaches to it later). The attach must move that poller into
// epoll / io_uring: otherwise a read registered afterwards finds the role taken, wakes nobody,
// and its data is never reported until the far deadline. Needs a process of its own: tpl::io
// must start here, after the timer.
TPL_SCENARIO("io_starts_while_a_worker_waits_for_a_timer") {
  tpl::cancellation_token_source far;
  tpl::task<> far_delay = tpl::delay(std::chrono::hours(1), far.token());
  tpl::detail::io_poller* reactor = tpl::detail::current_io_poller();
  if (reactor == nullptr) {
    std::fprintf(stderr, "a queued timer started no reactor\n");
    return 1;
  }
  // The event: a worker holds the poller role, waiting until the far deadline.
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!reactor->is_polling() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  if (!reactor->is_polling()) {
    std::fprintf(stderr, "no worker took the poller role for a queued timer\n");
    return 1;
  }
  auto [reader, writer] = tpl::io::make_pipe();  // tpl::io's first use: its driver attaches now
  std::string received(5, '\0');
  tpl::task<> reading = reader.read(std::as_writable_bytes(std::span(received.data(), received.size())));
  const std::string sent = "hello";
  writer.write(std::as_bytes(std::span(sent.data(), sent.size()))).get();
  if (!reading.wait_for(30s)) {
    std::fprintf(stderr, "the read was not reported: the poller still waits for the timer only\n");
    return 1;
  }
  reading.get();
  far.cancel();
  try {
    far_delay.wait();
  } catch (const tpl::aggregate_exception&) {
    // canceled, as asked
  }
  std::printf("read '%s' while a timer was queued\n", received.c_str());
  return received == sent ? 0 : 1;
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
