// Loop indices as offsets from the loop's first index, in uint64_t: every integral range, up to
// [0, 2^64 - 1) and (INT64_MIN, INT64_MAX), has a count that fits, where a signed difference
// would overflow (and an unsigned wrap-around would trip UBSan's integer checks).
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

namespace tpl::detail {

// last - first (first < last) as a count, for any integral type, without overflow or
// wrap-around: up to 2^64 - 1 for [0, UINT64_MAX) and (INT64_MIN, INT64_MAX).
template <std::integral Index>
std::uint64_t index_distance(Index first, Index last) noexcept {
  if constexpr (std::is_signed_v<Index>) {
    if (first < 0 && last >= 0) {
      // |first| computed as -(first + 1) + 1, which cannot overflow for first == min().
      return static_cast<std::uint64_t>(last) + (static_cast<std::uint64_t>(-(first + 1)) + 1);
    }
    return static_cast<std::uint64_t>(last - first);  // same sign: the difference fits
  } else {
    return static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
  }
}

// first + offset, for an offset below index_distance(first, last): the index it names.
template <std::integral Index>
Index index_at(Index first, std::uint64_t offset) noexcept {
  if constexpr (std::is_signed_v<Index>) {
    if (first < 0) {
      const std::uint64_t to_zero = static_cast<std::uint64_t>(-(first + 1)) + 1;  // |first|
      // Below zero: offset < |first| fits in Index, and so does the sum. From zero on: the
      // index is offset - |first|, below last.
      if (offset < to_zero) return static_cast<Index>(first + static_cast<Index>(offset));
      return static_cast<Index>(offset - to_zero);
    }
  }
  return static_cast<Index>(static_cast<std::uint64_t>(first) + offset);  // at most last: no wrap
}

}  // namespace tpl::detail
