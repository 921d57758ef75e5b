// Production backend: the allocation hook.
#pragma once

#include <cstddef>
#include <new>

#include "tpl/sync/location.hpp"

namespace tpl::sync {

// Raw storage for lock-free structures (buffers, nodes). Going through the hook lets the
// Relacy backend track every allocation and free, so a model reports leaks and frees of
// memory another thread may still read, at the caller's line.
[[nodiscard]] inline void* allocate_bytes(std::size_t size, std::size_t alignment,
                                          location = location::current()) {
  return ::operator new(size, std::align_val_t{alignment});
}

inline void deallocate_bytes(void* storage, std::size_t size, std::size_t alignment,
                             location = location::current()) noexcept {
  ::operator delete(storage, size, std::align_val_t{alignment});
}

}  // namespace tpl::sync
