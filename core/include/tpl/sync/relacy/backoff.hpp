// Relacy backend: a spin step is a scheduling point, so spin loops terminate under the model
// (a spin loop without one is reported as LIVELOCK after Relacy's step limit).
#pragma once

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

inline void spin_pause(location loc = location::current()) {
  detail::exception_state_guard guard;
  rl::yield(1, detail::to_debug_info(loc));
}

inline void yield_thread(location loc = location::current()) {
  detail::exception_state_guard guard;
  rl::yield(1, detail::to_debug_info(loc));
}

}  // namespace tpl::sync
