// Production backend: tpl::sync::atomic<T> is a std::atomic<T> that takes the call site.
#pragma once

#include <atomic>
#include <cassert>

#include "tpl/sync/location.hpp"

namespace tpl::sync {

// Same shape as the Relacy backend's atomic<T>: every operation names its memory order
// explicitly (no defaults, so no order is ever chosen by accident) and takes the call site.
// Default construction zero-initialises, as C++20 std::atomic does.
template <class T>
class atomic {
 public:
  constexpr atomic() noexcept : value_(T{}) {}
  constexpr explicit atomic(T initial) noexcept : value_(initial) {}
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  [[nodiscard]] T load(std::memory_order order, location = location::current()) const noexcept {
    return value_.load(order);
  }
  void store(T desired, std::memory_order order, location = location::current()) noexcept {
    value_.store(desired, order);
  }
  T exchange(T desired, std::memory_order order, location = location::current()) noexcept {
    return value_.exchange(desired, order);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success, std::memory_order failure,
                             location = location::current()) noexcept {
    assert(failure_order_is_valid(success, failure) && "CAS failure order stronger than success order");
    return value_.compare_exchange_weak(expected, desired, success, failure);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success, std::memory_order failure,
                               location = location::current()) noexcept {
    assert(failure_order_is_valid(success, failure) && "CAS failure order stronger than success order");
    return value_.compare_exchange_strong(expected, desired, success, failure);
  }
  T fetch_add(T operand, std::memory_order order, location = location::current()) noexcept {
    return value_.fetch_add(operand, order);
  }
  T fetch_sub(T operand, std::memory_order order, location = location::current()) noexcept {
    return value_.fetch_sub(operand, order);
  }
  T fetch_or(T operand, std::memory_order order, location = location::current()) noexcept {
    return value_.fetch_or(operand, order);
  }
  T fetch_and(T operand, std::memory_order order, location = location::current()) noexcept {
    return value_.fetch_and(operand, order);
  }

 private:
  std::atomic<T> value_;
};

}  // namespace tpl::sync
