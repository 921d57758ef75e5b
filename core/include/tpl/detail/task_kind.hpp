// What the combinators accept: task handles, alone or in ranges. is_task_v is the concept's
// test; require_valid_inputs refuses empty handles before anything is registered;
// collect_tasks reads a range once into the combinator's own vector.
#pragma once

#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/task.hpp"

namespace tpl {

template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<task<T>> = true;

namespace detail {

template <class... Ts>
void require_valid_inputs(const char* combinator, const task<Ts>&... inputs) {
  std::size_t index = 0;
  auto check = [&](bool valid) {
    if (!valid) {
      throw std::invalid_argument(std::string(combinator) + ": input " + std::to_string(index) +
                                  " is an empty task handle (default-constructed or moved-from)");
    }
    ++index;
  };
  (check(inputs.valid()), ...);
}

template <class T>
void require_valid_inputs(const char* combinator, const std::vector<task<T>>& inputs) {
  for (std::size_t index = 0; index < inputs.size(); ++index) {
    if (!inputs[index].valid()) {
      throw std::invalid_argument(std::string(combinator) + ": input " + std::to_string(index) +
                                  " is an empty task handle (default-constructed or moved-from)");
    }
  }
}

template <class Range>
auto collect_tasks(Range&& inputs) {
  using task_type = std::remove_cvref_t<std::ranges::range_reference_t<Range>>;
  std::vector<task_type> collected;
  if constexpr (std::ranges::sized_range<Range>) collected.reserve(static_cast<std::size_t>(std::ranges::size(inputs)));
  for (auto&& each : inputs) collected.push_back(std::forward<decltype(each)>(each));
  return collected;
}

}  // namespace detail

}  // namespace tpl
