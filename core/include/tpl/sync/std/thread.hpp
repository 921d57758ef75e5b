// Production backend: starting and joining a thread.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <utility>

#include "tpl/sync/location.hpp"

namespace tpl::sync {

// A joinable thread. Unlike std::thread, destruction without join() joins (no std::terminate):
// a facade that is also used in model tests must not have a path that aborts the checker.
class thread {
 public:
  explicit thread(std::function<void()> body, location = location::current()) : native_(std::move(body)) {}
  thread(thread&&) noexcept = default;
  thread& operator=(thread&&) = delete;
  ~thread() {
    if (native_.joinable()) native_.join();
  }

  void join(location = location::current()) { native_.join(); }
  // Lets the thread run on unjoined (it must not touch this object). For a process that exits
  // from one of the pool's own threads, which cannot join themselves.
  void detach(location = location::current()) {
    if (native_.joinable()) native_.detach();
  }

 private:
  std::thread native_;
};

// Names the calling thread for ps, top, gdb and /proc/<pid>/task/<tid>/comm (at most 15
// characters are kept). tpl names the threads it starts: tpl-worker, tpl-spare (it has no I/O
// or timer thread: the workers poll the reactor).
inline void name_this_thread(const char* name, location = location::current()) noexcept {
  (void)::pthread_setname_np(::pthread_self(), name);
}

// A number that identifies the calling thread among the threads alive now (never 0). The
// address of a thread_local: unique while the thread lives, free to compute.
inline std::uintptr_t current_thread_token(location = location::current()) noexcept {
  thread_local const char marker = 0;
  return reinterpret_cast<std::uintptr_t>(&marker);
}

// The calling thread's stack: its lowest address and its size (low == nullptr: unknown). Stacks
// grow down on every target tpl supports.
struct stack_extent {
  const char* low = nullptr;
  std::size_t size = 0;
};
inline stack_extent current_thread_stack() noexcept {
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) return {};
  void* low = nullptr;
  std::size_t size = 0;
  const bool known = pthread_attr_getstack(&attributes, &low, &size) == 0;
  pthread_attr_destroy(&attributes);
  if (!known) return {};
  return {static_cast<const char*>(low), size};
}

}  // namespace tpl::sync
