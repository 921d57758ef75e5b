// Relacy backend: a per-thread value, one slot per model thread (C++ thread_local is shared by
// all of Relacy's model threads, which are fibers of one OS thread).
#pragma once

#include <cstddef>
#include <type_traits>

#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

template <class Tag, class T>
  requires std::is_scalar_v<T>
class thread_local_value {
 public:
  [[nodiscard]] static T get() { return values_[index()]; }
  static void set(T value) { values_[index()] = value; }

 private:
  static constexpr std::size_t max_threads = 64;
  static std::size_t index() {
    const std::size_t thread = static_cast<std::size_t>(rl::ctx().current_thread());
    RL_ASSERT(thread < max_threads);
    return thread;
  }
  static inline T values_[max_threads]{};
};

}  // namespace tpl::sync
