// .NET's rules for a TimeSpan given as a delay or a timeout (Task.Delay, CancelAfter,
// Task.Wait, WaitAll, WaitAny): exactly -1 ms is Timeout.InfiniteTimeSpan (no limit); any other
// negative value is refused. tpl adds NaN (a floating-point duration) to the refused values:
// it would otherwise reach a float-to-integer conversion, which is undefined behaviour.
#pragma once

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace tpl::detail {

// Throws std::invalid_argument, naming `operation`, if `value` is NaN.
template <class Rep, class Period>
void require_not_nan(std::chrono::duration<Rep, Period> value, const char* operation) {
  if constexpr (std::is_floating_point_v<Rep>) {
    if (std::isnan(value.count())) throw std::invalid_argument(std::string(operation) + ": the duration is NaN");
  }
}

// true: `value` is -1 ms, .NET's Timeout.InfiniteTimeSpan (no limit). false: a finite value of
// zero or more. Throws std::invalid_argument for NaN and for any other negative value.
template <class Rep, class Period>
bool is_infinite_timeout(std::chrono::duration<Rep, Period> value, const char* operation) {
  require_not_nan(value, operation);
  if (value >= std::chrono::duration<Rep, Period>::zero()) return false;
  // Compared in double milliseconds: exact for -1 ms in any integer unit down to nanoseconds,
  // and no overflow for values like hours::min() (a common integer unit could overflow).
  if (std::chrono::duration<double, std::milli>(value).count() == -1.0) return true;
  throw std::invalid_argument(std::string(operation) +
                              ": the duration is negative (only -1 ms, .NET's Timeout.InfiniteTimeSpan, means no limit)");
}

}  // namespace tpl::detail
