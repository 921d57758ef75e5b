// The scenarios program's global operator new: malloc, except for one armed failure.
#include "failing_allocator.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<int> countdown{0};  // > 0: armed; the allocation that brings it to 0 fails
std::atomic<bool> failed{false};

}  // namespace

namespace tpl_scenarios {

void fail_allocation(int nth) {
  failed.store(false);
  countdown.store(nth);
}

bool disarm_allocation_failure() {
  countdown.store(0);
  return failed.load();
}

}  // namespace tpl_scenarios

// Sanitizer runtimes define the global operator new themselves (a second definition does not
// link); there the injection is off and the scenario that needs it is skipped.
#if !TPL_UNDER_SANITIZER
void* operator new(std::size_t size) {
  if (countdown.load(std::memory_order_relaxed) > 0 && countdown.fetch_sub(1) == 1) {
    failed.store(true);
    throw std::bad_alloc();
  }
  if (void* storage = std::malloc(size == 0 ? 1 : size)) return storage;
  throw std::bad_alloc();
}
void operator delete(void* storage) noexcept { std::free(storage); }
void operator delete(void* storage, std::size_t) noexcept { std::free(storage); }
#endif
