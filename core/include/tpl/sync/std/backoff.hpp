// Production backend: what a spin loop does while it waits for another thread.
#pragma once

#include <thread>

#include "tpl/sync/location.hpp"

namespace tpl::sync {

// One step of a busy-wait: tells the core we are spinning (frees pipeline resources for the
// sibling hyper-thread). Under Relacy this is a scheduling point, so a spin loop that forgets to
// call it is reported as a livelock instead of hanging the checker.
inline void spin_pause(location = location::current()) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Give the rest of the time slice away (a longer wait than spin_pause).
inline void yield_thread(location = location::current()) noexcept { std::this_thread::yield(); }

}  // namespace tpl::sync
