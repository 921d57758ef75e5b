// Relacy backend: allocations go to Relacy's heap, so every model iteration checks for leaks,
// double frees and use of freed memory, reported at the caller's line.
#pragma once

#include <cstddef>

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

// Relacy's allocator aligns like malloc; over-aligned requests are a model-build error rather
// than silently misaligned storage.
[[nodiscard]] inline void* allocate_bytes(std::size_t size, std::size_t alignment, location loc = location::current()) {
  detail::exception_state_guard guard;
  RL_ASSERT_IMPL(alignment <= alignof(std::max_align_t), rl::test_result_user_assert_failed,
                 "over-aligned allocation in a model", detail::to_debug_info(loc));
  return rl::ctx().alloc(size, false, detail::to_debug_info(loc));
}

inline void deallocate_bytes(void* storage, std::size_t, std::size_t, location loc = location::current()) {
  detail::exception_state_guard guard;
  rl::ctx().free(storage, false, detail::to_debug_info(loc));
}

}  // namespace tpl::sync
