// The call-site type every tpl::sync operation takes as its last, defaulted parameter.
#pragma once

#include <atomic>
#include <source_location>

namespace tpl::sync {

using location = std::source_location;

// True when `failure` is no stronger than `success` for a compare-exchange. C++17 allows a
// stronger failure order, but Relacy silently downgrades such a CAS (measured), so a model would
// check weaker code than production runs. Both backends reject it to keep the two in step.
constexpr bool failure_order_is_valid(std::memory_order success, std::memory_order failure) noexcept {
  auto strength = [](std::memory_order order) {
    switch (order) {
      case std::memory_order_relaxed: return 0;
      case std::memory_order_consume:
      case std::memory_order_acquire: return 1;
      case std::memory_order_seq_cst: return 2;
      default: return 3;  // release / acq_rel are not valid failure orders at all
    }
  };
  const int failure_strength = strength(failure);
  if (failure_strength == 3) return false;
  switch (success) {
    case std::memory_order_relaxed:
    case std::memory_order_release: return failure_strength == 0;
    case std::memory_order_consume:
    case std::memory_order_acquire:
    case std::memory_order_acq_rel: return failure_strength <= 1;
    case std::memory_order_seq_cst: return true;
  }
  return false;
}

}  // namespace tpl::sync
