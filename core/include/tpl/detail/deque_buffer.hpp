// The circular array behind work_stealing_deque: a power-of-two ring of relaxed atomic slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

// One allocation: this header followed by `capacity` slots. Slots are atomics, not plain
// memory, because a thief may read a slot while the owner rewrites it after a wrap-around (the
// thief's CAS on `top` then fails and the value it read is discarded); relaxed order suffices
// for every slot access, since the deque's release/acquire pairs on `bottom` and on the buffer
// pointer publish the contents (see work_stealing_deque.hpp).
//
// Buffers are never shared-owned: the owner creates them, the deque destroys them. A buffer
// replaced by a bigger one is *retired* onto the new one's `retired_` chain rather than freed,
// because a thief that loaded the old pointer may still read from it.
template <class T>
class deque_buffer {
 public:
  using slot = sync::atomic<T>;

  [[nodiscard]] static deque_buffer* create(std::int64_t capacity, deque_buffer* retired,
                                            sync::location loc = sync::location::current()) {
    void* storage = sync::allocate_bytes(bytes_for(capacity), alignof(deque_buffer), loc);
    return ::new (storage) deque_buffer(capacity, retired);
  }

  // Destroys this buffer and every buffer it retired.
  static void destroy_chain(deque_buffer* buffer, sync::location loc = sync::location::current()) {
    while (buffer != nullptr) {
      deque_buffer* retired = buffer->retired_;
      const std::int64_t capacity = buffer->capacity_;
      buffer->~deque_buffer();
      sync::deallocate_bytes(buffer, bytes_for(capacity), alignof(deque_buffer), loc);
      buffer = retired;
    }
  }

  [[nodiscard]] std::int64_t capacity() const noexcept { return capacity_; }

  void put(std::int64_t index, T item, sync::location loc = sync::location::current()) {
    // relaxed: the slot is published by the owner's later release store of `bottom`
    // (work_stealing_deque::push) or of the buffer pointer (grow), which a thief acquires.
    at(index).store(item, std::memory_order_relaxed, loc);
  }

  [[nodiscard]] T get(std::int64_t index, sync::location loc = sync::location::current()) const {
    // relaxed: callers acquired `bottom` (thief) or wrote the slot themselves (owner).
    return at(index).load(std::memory_order_relaxed, loc);
  }

  // A buffer twice this size holding the items at [top, bottom), with this one retired onto it.
  // Called only by the owner, which alone writes slots, so plain relaxed copies are enough.
  [[nodiscard]] deque_buffer* grow(std::int64_t top, std::int64_t bottom,
                                   sync::location loc = sync::location::current()) {
    deque_buffer* bigger = create(capacity_ * 2, this, loc);
    for (std::int64_t index = top; index != bottom; ++index) bigger->put(index, get(index, loc), loc);
    return bigger;
  }

 private:
  deque_buffer(std::int64_t capacity, deque_buffer* retired) noexcept
      : capacity_(capacity), mask_(capacity - 1), retired_(retired) {
    for (std::int64_t index = 0; index != capacity_; ++index) ::new (&slots()[index]) slot();
  }
  ~deque_buffer() {
    for (std::int64_t index = 0; index != capacity_; ++index) slots()[index].~slot();
  }

  static std::size_t bytes_for(std::int64_t capacity) noexcept {
    return sizeof(deque_buffer) + static_cast<std::size_t>(capacity) * sizeof(slot);
  }
  slot* slots() const noexcept {
    static_assert(sizeof(deque_buffer) % alignof(slot) == 0, "slots must follow the header aligned");
    return std::launder(reinterpret_cast<slot*>(const_cast<deque_buffer*>(this) + 1));
  }
  slot& at(std::int64_t index) const noexcept { return slots()[index & mask_]; }

  const std::int64_t capacity_;
  const std::int64_t mask_;
  deque_buffer* const retired_;  // the buffer this one replaced; read only by destroy_chain
};

}  // namespace tpl::detail
