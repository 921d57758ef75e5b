// Whether the current thread has stack enough left to run a continuation or an eagerly started
// coroutine inline, or must queue it to the pool. This bounds every inline recursion of task
// code (a continuation that completes a task whose continuation completes another ...) by the
// thread's stack size instead of by luck.
#pragma once

#include <cstddef>

#include "tpl/config.hpp"
#include "tpl/sync/tsan.hpp"

#if !defined(TPL_MODEL_RELACY)
#include <pthread.h>
#endif

namespace tpl::detail {

#if defined(TPL_MODEL_RELACY)

// Models run short chains on Relacy's fibers, whose stacks pthread does not describe.
inline bool has_stack_room() noexcept { return true; }

#else

// How much of a thread's stack inline task code may use at most. Under ThreadSanitizer only a
// slice: TSan's fixed-size shadow call stack (sync/tsan.hpp, point 2) overflows long before a
// real 8 MiB stack does.
#if TPL_TSAN
inline constexpr std::size_t inline_stack_budget = 1024 * 1024;
#else
inline constexpr std::size_t inline_stack_budget = ~std::size_t{0};
#endif

// The lowest address inline task code may reach on the calling thread's stack (stacks grow
// down on every target tpl supports), or nullptr if the platform does not say.
inline const char* current_stack_low_end() noexcept {
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) return nullptr;
  void* low = nullptr;
  std::size_t size = 0;
  const bool known = pthread_attr_getstack(&attributes, &low, &size) == 0;
  pthread_attr_destroy(&attributes);
  if (!known) return nullptr;
  const char* const low_end = static_cast<const char*>(low);
  return size > inline_stack_budget ? low_end + (size - inline_stack_budget) : low_end;
}

inline bool has_stack_room() noexcept {
  thread_local const char* const low_end = current_stack_low_end();
  // The frame address, not a local's: under AddressSanitizer locals may live on a fake stack.
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  return low_end == nullptr || here < low_end || static_cast<std::size_t>(here - low_end) > config::inline_stack_reserve;
}

#endif

}  // namespace tpl::detail
