/// \file
/// tpl::when_any — .NET's Task.WhenAny: a task that completes when the first input completes.
///
/// ~~~text
///   when_any(range)        a range of task<T>: task<when_any_result<task<T>>>
///   when_any(t1, t2, ...)  task<when_any_result<task<T>>> when all inputs are task<T>; for a mix
///                          of types, task<when_any_result<std::variant<task<Ts>...>>> (the
///                          alternative at the winner's position holds it)
/// ~~~
///
/// The result names the first input to complete and its index. The combinator always runs to
/// completion, even when that input faulted or was canceled (await the input itself to see its
/// outcome). The other inputs keep running; their registrations are removed as soon as there is
/// a winner, so a loser that runs on keeps nothing of the combinator alive, and the combinator
/// keeps no loser alive. No inputs, or an empty task handle among them: std::invalid_argument.
#pragma once

#include <array>
#include <cstddef>
#include <ranges>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tpl/detail/task_kind.hpp"
#include "tpl/detail/when_any_core.hpp"
#include "tpl/task.hpp"

namespace tpl {

template <class Completed>
struct when_any_result {
  std::size_t index;    ///< the winner's position among the inputs
  Completed completed;  ///< the winner: `task<T>`, or a std::variant of the inputs' task types
};

/// \cond TPL_INTERNALS
namespace detail {

template <class T>
task<T> handle_to(task_core& input) {
  auto& typed = static_cast<task_core_of<T>&>(input);
  typed.add_reference();
  return task<T>(adopt_reference, &typed);
}

template <class T>
class when_any_range_core final : public when_any_core<when_any_result<task<T>>, when_any_range_core<T>> {
  using base = when_any_core<when_any_result<task<T>>, when_any_range_core>;
  friend base;

 public:
  explicit when_any_range_core(std::vector<task<T>> inputs)
      : base(&destroy), handles_(std::move(inputs)), slots_(handles_.size()) {
    for (std::size_t index = 0; index < handles_.size(); ++index) slots_[index].input = handles_[index].core();
  }
  void start() { base::start(std::span<typename base::input_slot>(slots_)); }

 private:
  void write_winner(std::size_t index, task_core& input) {
    this->set_value(when_any_result<task<T>>{index, handle_to<T>(input)});
  }
  void drop_inputs() { handles_ = std::vector<task<T>>(); }

  static void destroy(task_core* core) noexcept { delete static_cast<when_any_range_core*>(core); }

  std::vector<task<T>> handles_;
  std::vector<typename base::input_slot> slots_;
};

template <class... Ts>
struct when_any_pack_traits {
  static constexpr bool same_type = sizeof...(Ts) > 0 && (std::is_same_v<std::tuple_element_t<0, std::tuple<Ts...>>, Ts> && ...);
  using completed = std::conditional_t<same_type, task<std::tuple_element_t<0, std::tuple<Ts...>>>, std::variant<task<Ts>...>>;
  using result = when_any_result<completed>;
};

template <class... Ts>
class when_any_pack_core final
    : public when_any_core<typename when_any_pack_traits<Ts...>::result, when_any_pack_core<Ts...>> {
  using traits = when_any_pack_traits<Ts...>;
  using base = when_any_core<typename traits::result, when_any_pack_core>;
  friend base;

 public:
  explicit when_any_pack_core(const task<Ts>&... inputs) : base(&destroy), handles_(inputs...) {
    std::size_t index = 0;
    ((slots_[index++].input = inputs.core()), ...);
  }
  void start() { base::start(std::span<typename base::input_slot>(slots_)); }

 private:
  void write_winner(std::size_t index, task_core& input) {
    write_winner_at(index, input, std::index_sequence_for<Ts...>{});
  }
  template <std::size_t... Index>
  void write_winner_at(std::size_t index, task_core& input, std::index_sequence<Index...>) {
    ((Index == index ? write_winner_of<Index>(input) : void()), ...);
  }
  template <std::size_t Index>
  void write_winner_of(task_core& input) {
    using input_type = std::tuple_element_t<Index, std::tuple<Ts...>>;
    if constexpr (traits::same_type) {
      this->set_value(typename traits::result{Index, handle_to<input_type>(input)});
    } else {
      this->set_value(typename traits::result{Index, typename traits::completed(std::in_place_index<Index>, handle_to<input_type>(input))});
    }
  }
  void drop_inputs() { handles_ = std::tuple<task<Ts>...>(); }

  static void destroy(task_core* core) noexcept { delete static_cast<when_any_pack_core*>(core); }

  std::tuple<task<Ts>...> handles_;
  std::array<typename base::input_slot, sizeof...(Ts)> slots_;
};

// Internal (wait_any): the range form's core, for a caller that may abandon() it.
template <class T>
task<when_any_result<task<T>>> make_when_any_of_range(std::vector<task<T>> inputs, when_any_range_core<T>** core_out = nullptr) {
  if (inputs.empty()) throw std::invalid_argument("tpl::when_any: no input tasks (.NET: ArgumentException)");
  require_valid_inputs("tpl::when_any", inputs);
  auto* core = new when_any_range_core<T>(std::move(inputs));
  task<when_any_result<task<T>>> handle(adopt_reference, core);
  if (core_out != nullptr) *core_out = core;
  core->start();
  return handle;
}

}  // namespace detail
/// \endcond

template <std::ranges::input_range Range>
  requires is_task_v<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>
[[nodiscard]] auto when_any(Range&& inputs) {
  return detail::make_when_any_of_range(detail::collect_tasks(std::forward<Range>(inputs)));
}

template <class... Tasks>
  requires(sizeof...(Tasks) > 0 && (is_task_v<std::remove_cvref_t<Tasks>> && ...))
[[nodiscard]] auto when_any(const Tasks&... inputs) {
  detail::require_valid_inputs("tpl::when_any", inputs...);
  auto* core = new detail::when_any_pack_core<typename Tasks::value_type...>(inputs...);
  task<typename detail::when_any_pack_traits<typename Tasks::value_type...>::result> handle(detail::adopt_reference, core);
  core->start();
  return handle;
}

}  // namespace tpl
