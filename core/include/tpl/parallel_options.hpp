/// \file
/// tpl::parallel_options — .NET's ParallelOptions: where a parallel loop runs, how many of its
/// bodies may run at once, and the token that ends it.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "tpl/cancellation_token.hpp"

namespace tpl {

class thread_pool;

struct parallel_options {
  thread_pool* pool = nullptr;  ///< nullptr: the calling worker's pool, else the default pool
  std::int64_t grain = 0;       ///< parallel_for: most iterations per leaf; 0 chooses
  /// Canceled before or during a loop: no further iteration starts, and once the running ones
  /// end the loop throws one tpl::operation_canceled carrying this token (unless a body threw
  /// something else: then the aggregate of those). parallel_for_each_async ends canceled.
  cancellation_token token{};
  /// At most this many bodies run at the same time; -1 (the default): no limit beyond the
  /// pool's workers (parallel_for_each_async: the pool's worker count). 0 or below -1 is refused
  /// with std::invalid_argument, as .NET refuses it with ArgumentOutOfRangeException.
  int max_degree_of_parallelism = -1;
};

/// \cond TPL_INTERNALS
namespace detail {

inline void check_parallel_options(const parallel_options& options) {
  if (options.max_degree_of_parallelism == 0 || options.max_degree_of_parallelism < -1) {
    throw std::invalid_argument(
        "tpl::parallel_options: max_degree_of_parallelism must be -1 (no limit) or positive");
  }
}

}  // namespace detail
/// \endcond

}  // namespace tpl
