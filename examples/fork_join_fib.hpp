// The fork-join demo's recursion, shared by `make demo` (demo.cpp) and `make demo-trace`
// (chrome_trace.cpp): Parallel.Invoke-style fib, one fork per call.
#pragma once

#include <cstdint>
#include <tpl/parallel.hpp>

namespace tpl_examples {

inline std::int64_t fork_join_fib(int n) {
  if (n < 2) return n;
  std::int64_t left = 0;
  std::int64_t right = 0;
  tpl::parallel_invoke([&] { left = fork_join_fib(n - 1); }, [&] { right = fork_join_fib(n - 2); });
  return left + right;
}

}  // namespace tpl_examples
