// Allocation-failure injection: a program that links tests/support/failing_allocator.cpp gets a
// global operator new (every replaceable form) that throws std::bad_alloc at the N-th
// allocation after arming, on whichever thread makes it. It also counts allocations, and
// remembers which labelled step of the program was running when the failure fired, so a sweep
// over N can say where each failure landed (sanitizers/allocation_failure_sweep.cpp).
//
// It replaces operator new under AddressSanitizer too: the replacement allocates with malloc,
// which ASan and LeakSanitizer intercept, so heap errors and leaks are still reported (only a
// new/delete mismatch goes unseen). ThreadSanitizer's runtime cannot be replaced: there
// (TPL_REPLACE_OPERATOR_NEW is 0) nothing is counted or failed, and injection_available() says so.
#pragma once

#include <cstdint>

namespace tpl_scenarios {

// Whether this build replaced operator new (false under ThreadSanitizer).
bool injection_available();

// The `nth` allocation from now (1: the next one) throws std::bad_alloc; later ones succeed.
void fail_allocation(std::int64_t nth);
// Cancels a pending failure; returns whether the armed failure happened.
bool disarm_allocation_failure();

// While set, every allocation this thread makes throws std::bad_alloc (other threads' succeed).
void fail_every_allocation_on_this_thread(bool fail);

// Allocations made by any thread since the program started (operator new, every form).
std::int64_t allocations_so_far();

// Labels what the program is doing now (a string literal); the injected failure records the
// label current when it fires, and whether it fired on the thread that set the label.
void set_current_step(const char* label);
struct injected_failure {
  const char* step = nullptr;  // nullptr: the armed failure has not fired
  bool on_labelling_thread = false;
};
injected_failure where_failure_fired();

}  // namespace tpl_scenarios
