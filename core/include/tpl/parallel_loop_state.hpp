/// \file
/// tpl::parallel_loop_state and tpl::parallel_loop_result — .NET's ParallelLoopState and
/// ParallelLoopResult: a body that takes a parallel_loop_state& may end its loop early.
///
///   stop()    no iteration that has not started will start; is_stopped() turns true. As
///             .NET's Stop(): for "found it, the rest is not needed".
///   break_()  iterations above this one that have not started will not start; every iteration
///             below it still runs (those not started yet start). With several breaks the lowest
///             wins: lowest_break_iteration(). As .NET's Break(): for "the prefix up to here".
///   Calling stop() in a loop where break_() was called, or the other way round, throws
///   tpl::invalid_operation (.NET: InvalidOperationException).
///
/// The loop returns a parallel_loop_result: is_completed is true when neither stop() nor
/// break_() was called; lowest_break_iteration is the lowest iteration that called break_().
/// Iterations are numbered by their index (parallel_for) or by their element's position in the
/// range (parallel_for_each).
#pragma once

#include <cstdint>
#include <optional>

#include "tpl/detail/basic_exceptions.hpp"
#include "tpl/detail/loop_index.hpp"
#include "tpl/detail/parallel_loop_control.hpp"

namespace tpl {

struct parallel_loop_result {
  bool is_completed = true;
  std::optional<std::int64_t> lowest_break_iteration;
};

class parallel_loop_state {
 public:
  parallel_loop_state(const parallel_loop_state&) = delete;
  parallel_loop_state& operator=(const parallel_loop_state&) = delete;

  /// No iteration that has not started yet will start. Throws invalid_operation after break_().
  void stop() {
    if ((control_->raise(detail::parallel_loop_control::stopped_flag) &
         detail::parallel_loop_control::broken_flag) != 0) {
      throw invalid_operation("tpl::parallel_loop_state::stop: break_() was already called in this loop");
    }
  }

  /// Iterations above this one that have not started will not start; all below it run. Throws
  /// invalid_operation after stop().
  void break_() {
    if ((control_->raise(detail::parallel_loop_control::broken_flag) &
         detail::parallel_loop_control::stopped_flag) != 0) {
      throw invalid_operation("tpl::parallel_loop_state::break_: stop() was already called in this loop");
    }
    control_->record_break(offset_);
  }

  /// Some iteration called stop().
  [[nodiscard]] bool is_stopped() const noexcept {
    return (control_->flags() & detail::parallel_loop_control::stopped_flag) != 0;
  }

  /// Some iteration threw.
  [[nodiscard]] bool is_exceptional() const noexcept {
    return (control_->flags() & detail::parallel_loop_control::exceptional_flag) != 0;
  }

  /// This iteration may end early: the loop was stopped, a body threw, the token was canceled,
  /// or an iteration below this one called break_().
  [[nodiscard]] bool should_exit_current_iteration() const noexcept {
    return control_->must_end() || control_->lowest_break() < offset_;
  }

  /// The lowest iteration that has called break_() so far, if any.
  [[nodiscard]] std::optional<std::int64_t> lowest_break_iteration() const noexcept {
    const std::uint64_t lowest = control_->lowest_break();
    if (lowest == detail::parallel_loop_control::no_break) return std::nullopt;
    return detail::index_at(control_->first_index(), lowest);
  }

  /// \cond TPL_INTERNALS
  parallel_loop_state(detail::parallel_loop_control& control, std::uint64_t offset) noexcept
      : control_(&control), offset_(offset) {}
  /// \endcond

 private:
  detail::parallel_loop_control* control_;
  std::uint64_t offset_;  // this iteration, counted from the loop's first
};

}  // namespace tpl
