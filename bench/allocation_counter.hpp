// Counts calls of the global operator new in a benchmark binary (allocation_counter.cpp
// replaces it), so a benchmark can report heap allocations per task.
#pragma once

#include <cstdint>

namespace tpl_bench {
std::uint64_t allocation_count() noexcept;
// Counting is off until this is called (a shared counter would slow the timed runs).
void start_counting_allocations() noexcept;
}
