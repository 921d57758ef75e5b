// When a descriptor may be closed: after close() was asked for and no system call on it is in
// flight. A system call on a closed descriptor number could act on whatever file the process
// opened next under the same number, so close() never closes the number under a running
// recv/send; the last call in flight closes it instead (as the kernel's own fdget/fdput pins a
// file against a concurrent close).
//
// Word: (calls in flight) * 2 + (close asked for). The transition to "close asked, none in
// flight" happens exactly once, and whoever makes it closes the descriptor. After close was
// asked for, no new call begins. Modelled in models/model_io_operation.cpp.
#pragma once

#include <cstdint>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class descriptor_lifetime {
 public:
  // Before a system call on the descriptor: false once close() was asked for.
  [[nodiscard]] bool begin_call() noexcept {
    std::uint32_t current = word_.load(std::memory_order_relaxed);  // a guess; the CAS decides
    for (;;) {
      if ((current & close_asked) != 0) return false;
      const std::uint32_t pinned = current + one_call;
      // relaxed: pinning publishes nothing; the call is ordered before the close by
      // end_call()'s release and the closer's acquire (ask_close / the last end_call).
      if (word_.compare_exchange_weak(current, pinned, std::memory_order_relaxed, std::memory_order_relaxed)) {
        return true;
      }
    }
  }

  // After the call: true if the caller must now close the descriptor (close was asked for and
  // this was the last call in flight).
  [[nodiscard]] bool end_call() noexcept {
    // acq_rel: release orders this call before the close that another end_call or ask_close
    // performs after acquiring; acquire, when this one closes, orders every other call (each
    // released by its own end_call) before the close. Pairs with itself and with ask_close().
    return word_.fetch_sub(one_call, std::memory_order_acq_rel) == (one_call | close_asked);
  }

  // close(): true if the caller must close the descriptor now (no call in flight); false if
  // the last call will, or close was already asked for.
  [[nodiscard]] bool ask_close() noexcept {
    // acquire: orders every finished call (released by its end_call) before a close done here.
    // No release: the closer publishes nothing through the word; the flag is the word itself,
    // which begin_call's CAS reads whatever the order. Pairs with end_call().
    return word_.fetch_or(close_asked, std::memory_order_acquire) == 0;
  }

  [[nodiscard]] bool close_was_asked() const noexcept {
    // relaxed: a hint for an early error message; begin_call() is the check that counts.
    return (word_.load(std::memory_order_relaxed) & close_asked) != 0;
  }

 private:
  static constexpr std::uint32_t close_asked = 1;
  static constexpr std::uint32_t one_call = 2;
  sync::atomic<std::uint32_t> word_{0};
};

}  // namespace tpl::detail
