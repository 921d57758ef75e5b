// The state one parallel loop's iterations share: whether it was stopped, broken, failed or
// canceled, and the lowest iteration that called break_(). parallel_loop_state is one
// iteration's view of it; parallel_for and parallel_for_each consult it before each iteration.
#pragma once

#include <cstdint>
#include <limits>

#include "tpl/cancellation_token.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class parallel_loop_control {
 public:
  static constexpr std::uint64_t no_break = std::numeric_limits<std::uint64_t>::max();
  static constexpr unsigned stopped_flag = 1;
  static constexpr unsigned broken_flag = 2;
  static constexpr unsigned exceptional_flag = 4;

  parallel_loop_control(cancellation_token token, std::int64_t first_index)
      : token_(std::move(token)), first_index_(first_index) {}

  // Sets `flag` and returns the flags before. relaxed: the flags are hints that stop iterations
  // from starting; nothing is published through them (exceptions are read after the joins,
  // which order every leaf before the caller), and stop-vs-break misuse is detected from the
  // one word's modification order alone, which every memory order keeps.
  unsigned raise(unsigned flag) noexcept { return flags_.fetch_or(flag, std::memory_order_relaxed); }
  [[nodiscard]] unsigned flags() const noexcept {
    return flags_.load(std::memory_order_relaxed);  // a hint: see raise()
  }

  // Lowers the lowest break offset to `offset`. relaxed: the caller reads it after the joins
  // (ordered by them); a leaf reading a stale, higher value only runs an iteration .NET also
  // allows to run (one above the break that started before the break was seen).
  void record_break(std::uint64_t offset) noexcept {
    // relaxed: a starting guess for the CAS below; nothing is read through it.
    std::uint64_t lowest = lowest_break_.load(std::memory_order_relaxed);
    while (offset < lowest) {
      // relaxed both ways: pairs with no acquire; lowest_break() readers are ordered by the joins
      // (the caller) or take a stale value as a hint (leaves), see above.
      if (lowest_break_.compare_exchange_weak(lowest, offset, std::memory_order_relaxed, std::memory_order_relaxed)) break;
    }
  }
  [[nodiscard]] std::uint64_t lowest_break() const noexcept {
    return lowest_break_.load(std::memory_order_relaxed);  // see record_break()
  }

  // No iteration may start: stopped, a body threw, or the token was canceled. An iteration
  // above the lowest break is checked separately (may_start).
  [[nodiscard]] bool must_end() const noexcept {
    return (flags() & (stopped_flag | exceptional_flag)) != 0 || token_.is_cancellation_requested();
  }
  [[nodiscard]] bool may_start(std::uint64_t offset) const noexcept {
    return !must_end() && offset <= lowest_break();
  }

  [[nodiscard]] const cancellation_token& token() const noexcept { return token_; }
  [[nodiscard]] std::int64_t first_index() const noexcept { return first_index_; }

 private:
  sync::atomic<unsigned> flags_{0};
  sync::atomic<std::uint64_t> lowest_break_{no_break};
  cancellation_token token_;
  std::int64_t first_index_;  // the user's index of offset 0 (parallel_for_each: 0)
};

}  // namespace tpl::detail
