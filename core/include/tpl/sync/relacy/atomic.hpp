// Relacy backend: tpl::sync::atomic<T> over rl::atomic<T>, same shape as std/atomic.hpp.
#pragma once

#include "tpl/sync/location.hpp"
#include "tpl/sync/relacy/relacy_include.hpp"

namespace tpl::sync {

template <class T>
class atomic {
 public:
  // rl::atomic's default constructor leaves the value uninitialised; C++20 std::atomic zeroes.
  atomic() : atomic(T{}) {}
  explicit atomic(T initial, location loc = location::current()) {
    detail::exception_state_guard guard;
    value_.store(initial, rl::mo_relaxed, detail::to_debug_info(loc));
  }
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;

  [[nodiscard]] T load(std::memory_order order, location loc = location::current()) const {
    detail::exception_state_guard guard;
    return value_.load(detail::to_relacy(order), detail::to_debug_info(loc));
  }
  void store(T desired, std::memory_order order, location loc = location::current()) {
    detail::exception_state_guard guard;
    value_.store(desired, detail::to_relacy(order), detail::to_debug_info(loc));
  }
  T exchange(T desired, std::memory_order order, location loc = location::current()) {
    detail::exception_state_guard guard;
    return value_.exchange(desired, detail::to_relacy(order), detail::to_debug_info(loc));
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success, std::memory_order failure,
                             location loc = location::current()) {
    check_failure_order(success, failure, loc);
    detail::exception_state_guard guard;
    const rl::debug_info info = detail::to_debug_info(loc);
    return value_.compare_exchange_weak(expected, desired, detail::to_relacy(success), info,
                                        detail::to_relacy(failure), info);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order success, std::memory_order failure,
                               location loc = location::current()) {
    check_failure_order(success, failure, loc);
    detail::exception_state_guard guard;
    const rl::debug_info info = detail::to_debug_info(loc);
    return value_.compare_exchange_strong(expected, desired, detail::to_relacy(success), info,
                                          detail::to_relacy(failure), info);
  }
  T fetch_add(T operand, std::memory_order order, location loc = location::current()) {
    detail::exception_state_guard guard;
    return value_.fetch_add(operand, detail::to_relacy(order), detail::to_debug_info(loc));
  }
  T fetch_sub(T operand, std::memory_order order, location loc = location::current()) {
    detail::exception_state_guard guard;
    return value_.fetch_sub(operand, detail::to_relacy(order), detail::to_debug_info(loc));
  }
  T fetch_or(T operand, std::memory_order order, location loc = location::current()) {
    detail::exception_state_guard guard;
    return value_.fetch_or(operand, detail::to_relacy(order), detail::to_debug_info(loc));
  }
  T fetch_and(T operand, std::memory_order order, location loc = location::current()) {
    detail::exception_state_guard guard;
    return value_.fetch_and(operand, detail::to_relacy(order), detail::to_debug_info(loc));
  }

 private:
  // Relacy would silently downgrade the failure order (see location.hpp), checking weaker code
  // than production runs; fail the model instead.
  static void check_failure_order(std::memory_order success, std::memory_order failure, location loc) {
    if (!failure_order_is_valid(success, failure)) {
      RL_ASSERT_IMPL(false, rl::test_result_user_assert_failed,
                     "CAS failure order stronger than its success order", detail::to_debug_info(loc));
    }
  }

  rl::atomic<T> value_;
};

}  // namespace tpl::sync
