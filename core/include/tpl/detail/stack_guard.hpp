// Whether the current thread has stack enough left to run a continuation, an eagerly started
// coroutine, a joined child or a waited-for task inline, or must leave it to another thread. This bounds every inline recursion of task
// code (a continuation that completes a task whose continuation completes another ...) by the
// thread's stack size instead of by luck.
#pragma once

#include <cstddef>

#include "tpl/config.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/sync/tsan.hpp"

namespace tpl::detail {

// How much of a thread's stack inline task code may use at most. Under ThreadSanitizer only a
// slice: TSan's fixed-size shadow call stack (sync/tsan.hpp, point 2) overflows long before a
// real 8 MiB stack does.
#if TPL_TSAN
inline constexpr std::size_t inline_stack_budget = 1024 * 1024;
#else
inline constexpr std::size_t inline_stack_budget = ~std::size_t{0};
#endif

// The calling thread's stack as inline task code may use it: the lowest address it may reach
// (stacks grow down on every target tpl supports; nullptr if the platform does not say) and
// the reserve to keep above it: config::inline_stack_reserve, but at most a quarter of a small
// stack, so that a thread started under `ulimit -s 256` still runs some work inline; and at
// least 8 KiB (half of a stack under 16 KiB): what runs below the floor (a park, a first call
// of a libc function through a lazily bound symbol, whose resolver saves the whole AVX-512
// register file, about 2.7 KiB, before it looks the symbol up) overflowed a 4 KiB reserve
// (the 16 KiB-stack deadlock scenario, when sched_yield was first called there).
struct stack_limits {
  const char* low_end = nullptr;
  std::size_t reserve = config::inline_stack_reserve;
};

// (The backend says where the stack is: model threads have no stack it can describe, and
// there inline code has no limit.)
inline stack_limits current_stack_limits() noexcept {
  const sync::stack_extent stack = sync::current_thread_stack();
  if (stack.low == nullptr) return {};
  const std::size_t size = stack.size;
  const char* const low_end = stack.low;
  const std::size_t usable = size > inline_stack_budget ? inline_stack_budget : size;
  constexpr std::size_t below_the_floor = 8 * 1024;
  const std::size_t floor_room = usable / 2 < below_the_floor ? usable / 2 : below_the_floor;
  const std::size_t quarter = usable / 4 > floor_room ? usable / 4 : floor_room;
  const std::size_t reserve = quarter < config::inline_stack_reserve ? quarter : config::inline_stack_reserve;
  return {low_end + (size - usable), reserve};
}

// The lowest frame address at which the calling thread may still run work inline (nullptr:
// unknown, no limit). A pool worker caches it, so its join checks one compare.
inline const char* inline_stack_floor() noexcept {
  const stack_limits limits = current_stack_limits();
  return limits.low_end == nullptr ? nullptr : limits.low_end + limits.reserve;
}

inline bool has_stack_room() noexcept {
  // A C++ thread_local, which Relacy's model threads share: harmless, since there every thread's
  // limits are the same (unknown).
  thread_local const stack_limits limits = current_stack_limits();
  // The frame address, not a local's: under AddressSanitizer locals may live on a fake stack.
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  return limits.low_end == nullptr || here < limits.low_end ||
         static_cast<std::size_t>(here - limits.low_end) > limits.reserve;
}

}  // namespace tpl::detail
