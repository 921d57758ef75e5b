// Allocation-failure injection for the scenarios program: the program's global operator new
// (failing_allocator.cpp) throws std::bad_alloc at the N-th allocation after arming.
#pragma once

namespace tpl_scenarios {

// The `nth` allocation from now (1: the next one) throws std::bad_alloc; later ones succeed.
void fail_allocation(int nth);
// Cancels a pending failure; returns whether the armed failure happened.
bool disarm_allocation_failure();

}  // namespace tpl_scenarios
