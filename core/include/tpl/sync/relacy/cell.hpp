// Relacy backend: cell<T> over rl::var<T>, which reports every unordered pair of accesses.
#pragma once

#include <type_traits>

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

template <class T>
  requires std::is_scalar_v<T>
class cell {
 public:
  cell() : cell(T{}) {}
  explicit cell(T initial) : value_(initial) {}
  cell(const cell&) = delete;
  cell& operator=(const cell&) = delete;

  [[nodiscard]] T load(location loc = location::current()) const {
    detail::exception_state_guard guard;
    return value_(detail::to_debug_info(loc)).load();
  }
  void store(T value, location loc = location::current()) {
    detail::exception_state_guard guard;
    value_(detail::to_debug_info(loc)).store(value);
  }

 private:
  rl::var<T> value_;
};

}  // namespace tpl::sync
