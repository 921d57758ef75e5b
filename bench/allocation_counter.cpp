// Replaces the global operator new/delete with counting versions over malloc/free. In a file
// of its own: g++ warns (mismatched-new-delete) when it sees the replacement and a call to
// free() of its result in one translation unit, though replacing both is exactly the point.
#include "allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
// relaxed: a statistic read after the measured work was joined.
std::atomic<std::uint64_t> allocations{0};
// Counting is off unless asked for: one shared counter incremented by every allocation on every
// worker is a contended cache line that serializes allocation-heavy workloads (coroutine
// frames) and would distort the timed runs. relaxed: set before the measured work starts.
std::atomic<bool> counting{false};
}  // namespace

std::uint64_t tpl_bench::allocation_count() noexcept { return allocations.load(std::memory_order_relaxed); }
void tpl_bench::start_counting_allocations() noexcept { counting.store(true, std::memory_order_relaxed); }

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* storage = std::malloc(size == 0 ? 1 : size)) return storage;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void operator delete(void* storage) noexcept { std::free(storage); }
void operator delete[](void* storage) noexcept { std::free(storage); }
void operator delete(void* storage, std::size_t) noexcept { std::free(storage); }
void operator delete[](void* storage, std::size_t) noexcept { std::free(storage); }
