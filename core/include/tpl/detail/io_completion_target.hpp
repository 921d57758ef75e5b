// What a kernel completion names: one operation the kernel performs (io_uring's receive or send;
// tpl::io's completion_awaiter.hpp). The completion records the result and arrives at the
// operation's gate (io_waiter, shared with the readiness slots); a canceller only records why
// and asks the kernel, whose completion still comes exactly once. Written against tpl::sync so
// that models/model_io_completion.cpp runs this code against a mock kernel.
#pragma once

#include <cstdint>

#include "tpl/detail/io_operation_slot.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class io_completion_target : public io_waiter {
 public:
  using io_waiter::io_waiter;

  // The driver's reap: the kernel's result (bytes, or -errno), then the arrival.
  void complete(int result) noexcept {
    result_.store(result);
    wake(io_wake_reason::ready);
  }
  // The result, once the gate opened for the operation (the arrival's acq_rel orders it).
  [[nodiscard]] int result() const noexcept { return result_.load(); }

  // The first canceller records why (token, shutdown); true if it was first and so must ask
  // the kernel. A close records nothing: -ECANCELED with no reason means the stream closed.
  [[nodiscard]] bool request_cancel(io_wake_reason why) noexcept {
    std::uint8_t none = 0;
    const auto recorded = static_cast<std::uint8_t>(static_cast<std::uint8_t>(why) + 1);
    // release: pairs with cancel_reason()'s acquire (the kernel's later cancel orders it too:
    // memory-orders.md, Survivors); relaxed on failure: another canceller asked already.
    return cancel_reason_.compare_exchange_strong(none, recorded, std::memory_order_release, std::memory_order_relaxed);
  }
  // Why a canceled completion was canceled: canceled or pool_shut_down, else closed.
  [[nodiscard]] io_wake_reason cancel_reason() const noexcept {
    // acquire: pairs with request_cancel()'s release.
    const std::uint8_t recorded = cancel_reason_.load(std::memory_order_acquire);
    return recorded == 0 ? io_wake_reason::closed : static_cast<io_wake_reason>(recorded - 1);
  }

 private:
  sync::cell<int> result_{0};
  sync::atomic<std::uint8_t> cancel_reason_{0};  // 0: none; else io_wake_reason + 1
};

}  // namespace tpl::detail
