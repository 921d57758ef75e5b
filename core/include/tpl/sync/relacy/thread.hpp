// Relacy backend: a thread started inside a model is an rl::dyn_thread. The test suite must
// declare `static const std::size_t dynamic_thread_count` large enough for the threads it starts.
#pragma once

#include <cstddef>
#include <cstdint>

#include <functional>
#include <memory>
#include <utility>

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

class thread {
 public:
  explicit thread(std::function<void()> body, location loc = location::current())
      : body_(std::make_unique<std::function<void()>>(std::move(body))) {
    detail::exception_state_guard guard;
    (void)loc;
    native_->start(&thread::trampoline, body_.get());
  }
  thread(thread&&) noexcept = default;
  thread& operator=(thread&&) = delete;
  ~thread() {
    if (native_ && body_) join();
  }

  // Models never exit the process from a pool thread; a model thread cannot outlive its
  // iteration, so detach waits for it like join.
  void detach(location loc = location::current()) {
    if (body_) join(loc);
  }

  void join(location = location::current()) {
    detail::exception_state_guard guard;
    native_->join();
    body_.reset();
  }

 private:
  static void* trampoline(void* body) {
    (*static_cast<std::function<void()>*>(body))();
    return nullptr;
  }

  std::unique_ptr<rl::dyn_thread> native_ = std::make_unique<rl::dyn_thread>();
  std::unique_ptr<std::function<void()>> body_;
};

// A number that identifies the calling model thread (never 0). C++ thread_local is shared by
// all of Relacy's model threads (they are fibers of one OS thread), so it is Relacy's index.
// Model threads are fibers of one real thread: nothing to name.
inline void name_this_thread(const char*, location = location::current()) noexcept {}

inline std::uintptr_t current_thread_token(location = location::current()) noexcept {
  return static_cast<std::uintptr_t>(rl::ctx().current_thread()) + 1;
}

// The calling thread's stack (see the production backend). Model threads are fibers whose
// stacks pthread does not describe: unknown, so inline task code has no stack limit (models run
// short chains).
struct stack_extent {
  const char* low = nullptr;
  std::size_t size = 0;
};
inline stack_extent current_thread_stack() noexcept { return {}; }

}  // namespace tpl::sync
