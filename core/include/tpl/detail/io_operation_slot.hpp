// The lock-free core of an asynchronous I/O operation: one slot per descriptor and direction
// (read, write) where a suspended operation waits for the kernel's readiness report.
//
// Three parties race for a waiting operation:
//   * the I/O poller (a pool worker polling the reactor), reporting readiness (epoll said the
//     descriptor may have data);
//   * the operation's cancellation callback (its token was canceled);
//   * close() of the descriptor, on any thread.
// Exactly one of them claims the waiter (the slot's word goes from the waiter's address to
// something else); the claimer records why and hands the waiter back to be resumed.
//
// No readiness report is lost. Epoll is edge-triggered here, so a report that arrives while no
// operation waits must be remembered: the slot keeps it (`ready`), and an operation that finds
// it while arming tries its system call again instead of suspending. The order is: try the
// call, see EAGAIN, arm. A report that comes after the EAGAIN either finds the waiter (and
// claims it) or sets `ready` before the arm, which then sees it.
//
// A waiter may be claimed the instant it is armed, before await_suspend has finished
// registering its cancellation callback. So resumption is a two-party gate: the claimer and
// the suspending thread each arrive once, and whoever arrives second resumes the operation
// (the suspending thread by not suspending, the claimer by calling `on_wake`). Nothing of the
// waiter is touched by the first party after it arrives.
//
// Word values: idle, ready, closed (terminal) or the address of an io_waiter (aligned to 8,
// so never one of the three). Diagram-free; the states and their transitions:
//   idle   --arm-->        waiter     --readiness-->  idle   (waiter woken: ready)
//   idle   --readiness-->  ready      --arm-->        idle   (arm refused: try again)
//   waiter --cancel-->     idle       (waiter woken: canceled)
//   any    --close-->      closed     (a waiter in it woken: closed)
// Modelled in models/model_io_operation.cpp.
#pragma once

#include <cstdint>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

enum class io_wake_reason : std::uint8_t { ready, canceled, closed, pool_shut_down };

// A waiting operation; lives in the suspended coroutine's frame (the awaiter).
struct alignas(8) io_waiter {
  using wake_function = void (*)(io_waiter* self);

  explicit io_waiter(wake_function wake) noexcept : on_wake(wake) {}

  // Written by the claimer before it arrives at the gate, read by the operation after the
  // gate opened for it: the gate's acq_rel read-modify-write orders the two.
  // The reason's underlying byte: Relacy's race-checked cell prints what it holds.
  sync::cell<std::uint8_t> reason{static_cast<std::uint8_t>(io_wake_reason::ready)};
  wake_function on_wake;
  // 0: nobody arrived; 1: one party arrived. The second arrival resumes the operation.
  sync::atomic<std::uint32_t> gate{0};

  // The claimer's side: record why, then arrive. Returns nothing: if it arrives second it
  // resumes the waiter through on_wake, after which the waiter may already be gone.
  void wake(io_wake_reason why) noexcept {
    reason.store(static_cast<std::uint8_t>(why));
    if (arrive()) on_wake(this);
  }

  // The suspending side, once its cancellation callback is registered: true if the claimer
  // already arrived, so the operation must go on now instead of suspending.
  [[nodiscard]] bool finish_suspending() noexcept { return arrive(); }

  [[nodiscard]] io_wake_reason wake_reason() const noexcept { return static_cast<io_wake_reason>(reason.load()); }

 private:
  [[nodiscard]] bool arrive() noexcept {
    // acq_rel: the first arrival releases what it did (the claimer's reason, the suspender's
    // registration); the second acquires it before it resumes the operation, which reads the
    // reason and destroys the registration. Pairs with the other party's fetch_add.
    return gate.fetch_add(1, std::memory_order_acq_rel) == 1;
  }
};

enum class arm_result : std::uint8_t { armed, ready, closed };

class io_operation_slot {
 public:
  static constexpr std::uintptr_t idle = 0;
  static constexpr std::uintptr_t ready = 1;
  static constexpr std::uintptr_t closed = 2;

  // The operation saw EAGAIN: wait here. `ready`: a report came since (or before) the failed
  // call; try the call again. `closed`: the descriptor was closed.
  arm_result arm(io_waiter* waiter) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(waiter);
    std::uintptr_t expected = idle;
    // release on success: publishes the waiter's fields (on_wake, its zeroed gate) to the
    // claimer, whose acquire in notify_ready / cancel / close pairs with it. relaxed on
    // failure: what the word holds then (ready, closed) carries no data to read.
    if (word_.compare_exchange_strong(expected, address, std::memory_order_release, std::memory_order_relaxed)) {
      return arm_result::armed;
    }
    if (expected == closed) return arm_result::closed;
    // `ready`: consume it. relaxed: the retry's system call asks the kernel, not memory. A
    // failure here means close() won in between; the retry will see the descriptor closed.
    (void)word_.compare_exchange_strong(expected, idle, std::memory_order_relaxed, std::memory_order_relaxed);
    return arm_result::ready;
  }

  // The driver's readiness report: wake the waiter, or remember the report for the next arm.
  void notify_ready() noexcept {
    std::uintptr_t current = word_.load(std::memory_order_relaxed);  // a guess; the CAS decides
    for (;;) {
      if (current == closed || current == ready) return;
      const std::uintptr_t next = current == idle ? ready : idle;
      // acquire on success: pairs with arm()'s release, so the waiter's fields are visible
      // before wake() touches them (idle -> ready publishes nothing; acquire is harmless).
      if (word_.compare_exchange_weak(current, next, std::memory_order_acquire, std::memory_order_relaxed)) break;
    }
    if (current != idle) reinterpret_cast<io_waiter*>(current)->wake(io_wake_reason::ready);
  }

  // From the operation's cancellation callback (or the shutdown of the pool it would resume on,
  // `why` = pool_shut_down): wake `waiter` for `why`, if it still waits here.
  void cancel(io_waiter* waiter, io_wake_reason why = io_wake_reason::canceled) noexcept {
    auto expected = reinterpret_cast<std::uintptr_t>(waiter);
    // acquire on success: pairs with arm()'s release (the waiter's fields). relaxed on failure:
    // another party claimed the waiter and will wake it.
    if (word_.compare_exchange_strong(expected, idle, std::memory_order_acquire, std::memory_order_relaxed)) {
      waiter->wake(why);
    }
  }

  // The descriptor was closed: no operation waits here again; a waiting one is woken.
  void close() noexcept {
    // acquire: pairs with arm()'s release, as in notify_ready.
    const std::uintptr_t previous = word_.exchange(closed, std::memory_order_acquire);
    if (previous != idle && previous != ready && previous != closed) {
      reinterpret_cast<io_waiter*>(previous)->wake(io_wake_reason::closed);
    }
  }

  [[nodiscard]] bool is_closed() const noexcept {
    // relaxed: a hint for a fast failure; arm() rechecks with a read-modify-write.
    return word_.load(std::memory_order_relaxed) == closed;
  }

 private:
  sync::atomic<std::uintptr_t> word_{idle};
};

}  // namespace tpl::detail
