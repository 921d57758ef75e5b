// The program's global operator new: malloc, except for one armed failure. See the header.
#include "support/failing_allocator.hpp"

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

// All relaxed but the fired flag: the counters are statistics, and the failure's record is
// read after the program has joined the thread that fired it (or learned of it through a task,
// whose completion orders the writes).
std::atomic<std::int64_t> countdown{0};  // > 0: armed; the allocation that brings it to 0 fails
std::atomic<std::int64_t> allocations{0};
std::atomic<const char*> current_step{"start"};
std::atomic<pthread_t> labelling_thread{};
std::atomic<const char*> fired_step{nullptr};
std::atomic<bool> fired_on_labelling_thread{false};

thread_local bool this_thread_fails_every_allocation = false;

bool should_fail() noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (this_thread_fails_every_allocation) return true;
  if (countdown.load(std::memory_order_relaxed) <= 0 || countdown.fetch_sub(1) != 1) return false;
  fired_on_labelling_thread.store(pthread_equal(pthread_self(), labelling_thread.load()) != 0);
  fired_step.store(current_step.load());
  return true;
}

// Unused under ThreadSanitizer, which keeps its own operator new (see the end of the file).
[[maybe_unused]] void* allocate(std::size_t size) {
  if (should_fail()) throw std::bad_alloc();
  if (void* storage = std::malloc(size == 0 ? 1 : size)) return storage;
  throw std::bad_alloc();
}

[[maybe_unused]] void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
  if (should_fail()) throw std::bad_alloc();
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = size == 0 ? align : (size + align - 1) / align * align;
  if (void* storage = std::aligned_alloc(align, rounded)) return storage;
  throw std::bad_alloc();
}

}  // namespace

namespace tpl_scenarios {

bool injection_available() { return TPL_REPLACE_OPERATOR_NEW != 0; }

void fail_allocation(std::int64_t nth) {
  fired_step.store(nullptr);
  countdown.store(nth);
}

bool disarm_allocation_failure() {
  countdown.store(0);
  return fired_step.load() != nullptr;
}

void fail_every_allocation_on_this_thread(bool fail) { this_thread_fails_every_allocation = fail; }

std::int64_t allocations_so_far() { return allocations.load(std::memory_order_relaxed); }

void set_current_step(const char* label) {
  labelling_thread.store(pthread_self());
  current_step.store(label);
}

injected_failure where_failure_fired() { return {fired_step.load(), fired_on_labelling_thread.load()}; }

}  // namespace tpl_scenarios

// Every replaceable form, so that no allocation bypasses the injection and no memory is freed
// by a runtime that did not allocate it. ThreadSanitizer's runtime defines them all itself (a
// second definition does not link), so TSan builds count and fail nothing.
#if TPL_REPLACE_OPERATOR_NEW
void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  try {
    return allocate_aligned(size, alignment);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  try {
    return allocate_aligned(size, alignment);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* storage) noexcept { std::free(storage); }
void operator delete[](void* storage) noexcept { std::free(storage); }
void operator delete(void* storage, std::size_t) noexcept { std::free(storage); }
void operator delete[](void* storage, std::size_t) noexcept { std::free(storage); }
void operator delete(void* storage, const std::nothrow_t&) noexcept { std::free(storage); }
void operator delete[](void* storage, const std::nothrow_t&) noexcept { std::free(storage); }
void operator delete(void* storage, std::align_val_t) noexcept { std::free(storage); }
void operator delete[](void* storage, std::align_val_t) noexcept { std::free(storage); }
void operator delete(void* storage, std::size_t, std::align_val_t) noexcept { std::free(storage); }
void operator delete[](void* storage, std::size_t, std::align_val_t) noexcept { std::free(storage); }
void operator delete(void* storage, std::align_val_t, const std::nothrow_t&) noexcept { std::free(storage); }
void operator delete[](void* storage, std::align_val_t, const std::nothrow_t&) noexcept { std::free(storage); }
#endif
