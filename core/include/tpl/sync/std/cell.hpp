// Production backend: cell<T> is plain, non-atomic shared data.
#pragma once

#include <type_traits>

#include "tpl/sync/location.hpp"

namespace tpl::sync {

// Plain data that more than one thread touches, ordered by the surrounding protocol (the
// Relacy backend race-checks every access). Scalars only: that is what Relacy's rl::var
// supports, and keeping both backends identical is the point.
template <class T>
  requires std::is_scalar_v<T>
class cell {
 public:
  constexpr cell() noexcept : value_{} {}
  constexpr explicit cell(T initial) noexcept : value_(initial) {}
  cell(const cell&) = delete;
  cell& operator=(const cell&) = delete;

  [[nodiscard]] T load(location = location::current()) const noexcept { return value_; }
  void store(T value, location = location::current()) noexcept { value_ = value; }

 private:
  T value_;
};

}  // namespace tpl::sync
