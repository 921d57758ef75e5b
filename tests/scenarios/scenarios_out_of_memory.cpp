// Allocation failure at each allocation of an operation that commits something: the failure
// reaches the caller as std::bad_alloc and nothing is left half done (issue 10).
#include <cstdio>
#include <new>

#include "support/failing_allocator.hpp"
#include "scenarios.hpp"
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
