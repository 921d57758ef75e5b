/// \file
/// tpl::when_all — .NET's Task.WhenAll: a task that completes when every input has completed.
///
/// ~~~text
///   when_all(t1, t2, ...)   any mix of task<T>: task<std::tuple<...>> of the non-void results in
///                           input order (task<> inputs add nothing; all-void packs give task<>)
///   when_all(range)         a range of task<T>: task<std::vector<T>> (task<> for task<> inputs)
/// ~~~
///
/// Outcome, by .NET's rules: faulted if any input faulted, holding every exception of every
/// faulted input in input order (co_await rethrows the first, get() throws them all in one
/// aggregate_exception); else canceled if any input was canceled; else the results. No inputs:
/// an already completed task. An empty task handle among the inputs throws
/// std::invalid_argument before anything is registered.
///
/// Move-only results (`task<std::unique_ptr<X>>`): each input's value is moved into the combined
/// result, once, when the last input completes; the inputs keep a moved-from value (an input
/// shared with other handles is left empty for them: pass tasks nobody else reads). Copyable
/// results are copied, as before.
///
/// Beyond .NET, opt-in fail-fast: when_all(source, ...) cancels `source` as soon as an input
/// faults or is canceled, so siblings that watch its token stop early; the combinator still
/// waits for every input and reports them all. Exceptions thrown by the source's callbacks join
/// the combinator's faults. The combinator keeps the source's state alive, not the source
/// object: destroying the source meanwhile is allowed.
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/detail/task_kind.hpp"
#include "tpl/detail/when_all_core.hpp"
#include "tpl/task.hpp"

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {

// std::tuple of the non-void types among Ts.
template <class... Ts>
struct non_void_tuple {
  using type = std::tuple<>;
};
template <class T, class... Rest>
struct non_void_tuple<T, Rest...> {
  using rest = typename non_void_tuple<Rest...>::type;
  using type = std::conditional_t<std::is_void_v<T>, rest,
                                  decltype(std::tuple_cat(std::declval<std::tuple<T>>(), std::declval<rest>()))>;
};

// when_all(t1, t2, ...)'s result type: the tuple, or void when every input is task<>.
template <class... Ts>
using when_all_pack_result_t =
    std::conditional_t<std::tuple_size_v<typename non_void_tuple<Ts...>::type> == 0, void, typename non_void_tuple<Ts...>::type>;

template <class... Ts>
class when_all_pack_core final : public when_all_core<when_all_pack_result_t<Ts...>, when_all_pack_core<Ts...>> {
  using result = when_all_pack_result_t<Ts...>;
  using base = when_all_core<result, when_all_pack_core>;
  friend base;

 public:
  when_all_pack_core(cancellation_state_ref cancel_on_failure, const task<Ts>&... inputs)
      : base(&destroy, std::move(cancel_on_failure)), handles_(inputs...), cores_{inputs.core()...} {
    for (std::size_t index = 0; index < sizeof...(Ts); ++index) slots_[index].input = cores_[index];
    this->start(std::span<typename base::input_slot>(slots_));
  }

 private:
  std::span<task_core* const> inputs() const noexcept { return std::span<task_core* const>(cores_); }

  void write_values() {
    if constexpr (std::is_void_v<result>) {
      this->set_value();
    } else {
      this->set_value(values(std::index_sequence_for<Ts...>{}));
    }
  }
  template <std::size_t... Index>
  result values(std::index_sequence<Index...>) const {
    return std::tuple_cat(value_as_tuple(std::get<Index>(handles_))...);
  }
  template <class T>
  static auto value_as_tuple(const task<T>& input) {
    if constexpr (std::is_void_v<T>) {
      return std::tuple<>();
    } else if constexpr (!copyable_result_v<T>) {
      return std::tuple<T>(input.core()->take_value());  // move-only: see when_all's header comment
    } else {
      return std::tuple<T>(input.core()->value());
    }
  }

  static void destroy(task_core* core) noexcept { delete static_cast<when_all_pack_core*>(core); }

  std::tuple<task<Ts>...> handles_;
  std::array<task_core*, sizeof...(Ts)> cores_;
  std::array<typename base::input_slot, sizeof...(Ts)> slots_;
};

template <class T>
using when_all_range_result_t = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;

template <class T>
class when_all_range_core final : public when_all_core<when_all_range_result_t<T>, when_all_range_core<T>> {
  using base = when_all_core<when_all_range_result_t<T>, when_all_range_core>;
  friend base;

 public:
  when_all_range_core(cancellation_state_ref cancel_on_failure, std::vector<task<T>> inputs)
      : base(&destroy, std::move(cancel_on_failure)), handles_(std::move(inputs)), slots_(handles_.size()) {
    cores_.reserve(handles_.size());
    for (std::size_t index = 0; index < handles_.size(); ++index) {
      cores_.push_back(handles_[index].core());
      slots_[index].input = cores_[index];
    }
    this->start(std::span<typename base::input_slot>(slots_));
  }

 private:
  std::span<task_core* const> inputs() const noexcept { return std::span<task_core* const>(cores_); }

  void write_values() {
    if constexpr (std::is_void_v<T>) {
      this->set_value();
    } else {
      std::vector<T> values;
      values.reserve(handles_.size());
      for (const task<T>& input : handles_) {
        if constexpr (copyable_result_v<T>) {
          values.push_back(input.core()->value());
        } else {
          values.push_back(input.core()->take_value());  // move-only: see when_all's header comment
        }
      }
      this->set_value(std::move(values));
    }
  }

  static void destroy(task_core* core) noexcept { delete static_cast<when_all_range_core*>(core); }

  std::vector<task<T>> handles_;
  std::vector<task_core*> cores_;
  std::vector<typename base::input_slot> slots_;
};

template <class... Ts>
task<when_all_pack_result_t<Ts...>> make_when_all(cancellation_state_ref cancel_on_failure, const task<Ts>&... inputs) {
  require_valid_inputs("tpl::when_all", inputs...);
  auto* core = new when_all_pack_core<Ts...>(std::move(cancel_on_failure), inputs...);
  return task<when_all_pack_result_t<Ts...>>(adopt_reference, core);
}

template <class T>
task<when_all_range_result_t<T>> make_when_all_of_range(cancellation_state_ref cancel_on_failure, std::vector<task<T>> inputs) {
  require_valid_inputs("tpl::when_all", inputs);
  if (inputs.empty()) {
    if constexpr (std::is_void_v<T>) {
      return completed_task();
    } else {
      return task<std::vector<T>>::from_result();
    }
  }
  auto* core = new when_all_range_core<T>(std::move(cancel_on_failure), std::move(inputs));
  return task<when_all_range_result_t<T>>(adopt_reference, core);
}

}  // namespace detail
/// \endcond

/// when_all(t1, t2, ...): see the header comment. when_all() with no inputs is a completed `task<>`.
template <class... Tasks>
  requires(is_task_v<std::remove_cvref_t<Tasks>> && ...)
[[nodiscard]] auto when_all(const Tasks&... inputs) {
  if constexpr (sizeof...(Tasks) == 0) {
    return completed_task();
  } else {
    return detail::make_when_all(detail::cancellation_state_ref(), inputs...);
  }
}

/// when_all(range): see the header comment. The range is read once; its elements are copied
/// (or moved, from a range of rvalues) into the combinator.
template <std::ranges::input_range Range>
  requires is_task_v<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>
[[nodiscard]] auto when_all(Range&& inputs) {
  return detail::make_when_all_of_range(detail::cancellation_state_ref(), detail::collect_tasks(std::forward<Range>(inputs)));
}

/// Fail-fast forms: cancel `cancel_on_failure` on the first input that faults or is canceled.
template <class... Tasks>
  requires(is_task_v<std::remove_cvref_t<Tasks>> && ...)
[[nodiscard]] auto when_all(cancellation_token_source& cancel_on_failure, const Tasks&... inputs) {
  if constexpr (sizeof...(Tasks) == 0) {
    return completed_task();
  } else {
    return detail::make_when_all(cancel_on_failure.shared_state(), inputs...);
  }
}
template <std::ranges::input_range Range>
  requires is_task_v<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>
[[nodiscard]] auto when_all(cancellation_token_source& cancel_on_failure, Range&& inputs) {
  return detail::make_when_all_of_range(cancel_on_failure.shared_state(), detail::collect_tasks(std::forward<Range>(inputs)));
}

}  // namespace tpl
