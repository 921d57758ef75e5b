// Relacy backend: the standalone fence.
#pragma once

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

inline void atomic_thread_fence(std::memory_order order, location loc = location::current()) {
  detail::exception_state_guard guard;
  rl::atomic_thread_fence(detail::to_relacy(order), detail::to_debug_info(loc));
}

}  // namespace tpl::sync
