// Production backend: starting and joining a thread.
#pragma once

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

// A number that identifies the calling thread among the threads alive now (never 0). The
// address of a thread_local: unique while the thread lives, free to compute.
inline std::uintptr_t current_thread_token(location = location::current()) noexcept {
  thread_local const char marker = 0;
  return reinterpret_cast<std::uintptr_t>(&marker);
}

}  // namespace tpl::sync
