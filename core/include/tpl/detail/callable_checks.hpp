// The null-callable check every entry point that takes a callable makes (run, continue_with):
// an empty std::function or a null function pointer is rejected with std::invalid_argument
// before anything is queued, instead of failing later on a pool thread.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>

namespace tpl::detail {

template <class Fn>
void reject_null_callable(const Fn& fn, const char* operation) {
  if constexpr (std::is_constructible_v<bool, const Fn&>) {
    if (!static_cast<bool>(fn)) throw std::invalid_argument(std::string(operation) + ": the callable is null");
  }
}

}  // namespace tpl::detail
