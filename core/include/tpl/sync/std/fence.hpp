// Production backend: the standalone fence. The TSan handling is explained in tsan.hpp.
#pragma once

#include <atomic>

#include "tpl/sync/location.hpp"
#include "tpl/sync/tsan.hpp"

namespace tpl::sync {

inline void atomic_thread_fence(std::memory_order order, location = location::current()) noexcept {
  TPL_TSAN_FENCE_BEGIN
  std::atomic_thread_fence(order);
  TPL_TSAN_FENCE_END
}

}  // namespace tpl::sync
