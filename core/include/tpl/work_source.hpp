/// \file
/// tpl::work_source — where a pool worker took an item from (reported to the schedule observer).
#pragma once

#include <cstdint>

namespace tpl {

enum class work_source : std::uint8_t {
  local,   ///< popped from the worker's own deque (newest first)
  global,  ///< taken from the pool's global queue (oldest first)
  stolen,  ///< stolen from another worker's deque (oldest first)
};

}  // namespace tpl
