// Production backend: a per-thread value (a C++ thread_local, one per Tag).
#pragma once

#include <type_traits>

namespace tpl::sync {

// One value per thread, named by `Tag`: a class, so that model builds can give each model
// thread its own (C++ thread_local is shared by Relacy's model threads, which are fibers of one
// OS thread).
template <class Tag, class T>
  requires std::is_scalar_v<T>
class thread_local_value {
 public:
  [[nodiscard]] static T get() noexcept { return value_; }
  static void set(T value) noexcept { value_ = value; }

 private:
  static inline thread_local T value_{};
};

}  // namespace tpl::sync
