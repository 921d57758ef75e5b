// Allocation failure at each allocation of an operation that commits something: the failure
// reaches the caller as std::bad_alloc and nothing is left half done (issue 10).
#include <cstdio>
#include <new>

#include "support/failing_allocator.hpp"
#include "scenarios.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace {

// cancel() with registered callbacks, failing its n-th allocation for n = 1, 2, ...: either it
// throws std::bad_alloc and the source is not canceled (so a retry runs every callback), or it
// succeeds and every callback ran. Before the fix cancel() set the flag and then allocated: the
// token read canceled, no callback ever ran, and a retry did nothing.
TPL_SCENARIO("cancel_out_of_memory") {
  constexpr int callbacks = 5;
  int failures = 0;
  for (int nth = 1; nth <= 16; ++nth) {
    tpl::cancellation_token_source source;
    int runs = 0;
    tpl::cancellation_registration registrations[callbacks];
    for (auto& each : registrations) each = source.token().register_callback([&runs] { ++runs; });
    bool threw = false;
    tpl_scenarios::fail_allocation(nth);
    try {
      source.cancel();
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    failures += tpl_scenarios::disarm_allocation_failure() ? 1 : 0;
    if (threw) {
      if (source.is_cancellation_requested() || runs != 0) {
        std::fprintf(stderr, "allocation %d failed inside cancel(): canceled=%d, %d callbacks ran\n", nth,
                     source.is_cancellation_requested() ? 1 : 0, runs);
        return 1;
      }
      source.cancel();  // the retry
    }
    if (runs != callbacks || !source.is_cancellation_requested()) {
      std::fprintf(stderr, "allocation %d: %d of %d callbacks ran (canceled=%d)\n", nth, runs, callbacks,
                   source.is_cancellation_requested() ? 1 : 0);
      return 1;
    }
  }
  std::printf("cancel() survived %d injected allocation failures; every callback ran once\n", failures);
  return failures > 0 ? 0 : 2;  // 2: the injection never hit cancel(): the scenario tests nothing
}

}  // namespace

namespace {

// A linked source canceled by its parent's cancel(), failing the n-th allocation for n = 1, 2,
// ...: the parent's cancel() either throws std::bad_alloc having done nothing (a retry then
// cancels both), or succeeds, and then the child is canceled and its callbacks all ran. Nobody
// retries the child's own cancel, so it must happen even when it cannot allocate its working
// room (cancel_anyway). Before that, the link callback's bad_alloc reached the parent's caller
// inside an aggregate_exception, with the parent canceled and the child not: lost for good.
TPL_SCENARIO("linked_cancel_out_of_memory") {
  constexpr int callbacks = 3;
  int fired = 0;
  for (int nth = 1; nth <= 24; ++nth) {
    tpl::cancellation_token_source parent;
    tpl::cancellation_token_source child = tpl::cancellation_token_source::create_linked({parent.token()});
    int runs = 0;
    tpl::cancellation_registration registrations[callbacks];
    for (auto& each : registrations) each = child.token().register_callback([&runs] { ++runs; });
    tpl_scenarios::fail_allocation(nth);
    try {
      parent.cancel();
    } catch (const std::bad_alloc&) {
      if (parent.is_cancellation_requested()) {
        std::fprintf(stderr, "allocation %d: the parent's cancel() threw bad_alloc after canceling\n", nth);
        return 1;
      }
    } catch (const tpl::aggregate_exception& error) {
      std::fprintf(stderr, "allocation %d: the parent's cancel() threw an aggregate of %zu (child canceled=%d, %d of %d callbacks ran)\n",
                   nth, error.inner_exceptions().size(), child.is_cancellation_requested() ? 1 : 0, runs, callbacks);
      return 1;
    }
    fired += tpl_scenarios::disarm_allocation_failure() ? 1 : 0;
    if (!parent.is_cancellation_requested()) parent.cancel();  // the caller's retry
    if (!child.is_cancellation_requested() || runs != callbacks) {
      std::fprintf(stderr, "allocation %d: child canceled=%d, %d of %d callbacks ran\n", nth,
                   child.is_cancellation_requested() ? 1 : 0, runs, callbacks);
      return 1;
    }
  }
  std::printf("a linked cancel survived %d injected allocation failures\n", fired);
  return fired > 0 ? 0 : 2;  // 2: the injection never hit the cancel: the scenario tests nothing
}

}  // namespace
