// What a pool's workers need from the process's reactor (process_reactor.hpp: the timers, and
// tpl::io's driver once it starts) to run it themselves, with no thread of its own (issue 30,
// docs/io.md "One runtime"):
//
//   * the poller role: one thread at a time waits in the kernel for I/O reports and the earliest
//     timer (try_begin_polling / end_polling); an idle worker takes it instead of sleeping;
//   * poll(timeout): one turn of the reactor, which hands each report to its operation (whose
//     resumption goes to its pool: to the poller's own deque when that is the pool) and each
//     due timer to the default pool;
//   * interrupt(): makes a poll that waits in the kernel return (an eventfd write), for a
//     notifier that finds the pool's only idle worker waiting there (idle_sleeper).
//
// Installed once, when a program first uses a timer or tpl::io; a program that never does has
// none, and its pools sleep exactly as before. A pending wait is an I/O wait or a queued timer. The poller's idle sleeper and every other pool's are in
// one registry, so that a poller that leaves the role to run work can wake one sleeping worker
// of any pool to take it over (else reports would wait until some worker is idle again).
#pragma once

#include <cstddef>

#include "tpl/sync/sync.hpp"

namespace tpl::detail {

class idle_sleeper;

class io_poller {
 public:
  io_poller() = default;
  io_poller(const io_poller&) = delete;
  io_poller& operator=(const io_poller&) = delete;
  virtual ~io_poller() = default;

  // The role: true if the caller now holds it (it must call end_polling() after its polls).
  [[nodiscard]] bool try_begin_polling() noexcept {
    // relaxed load first: a worker that sees the role taken does not write the line.
    if (polling_.load(std::memory_order_relaxed)) return false;
    bool expected = false;
    // acquire: pairs with end_polling()'s release: what the previous poller did to the
    // reactor's own state (its retired list, its ring's head) is visible to this one.
    return polling_.compare_exchange_strong(expected, true, std::memory_order_acquire, std::memory_order_relaxed);
  }
  // Leaves the role. Then the caller hands it on if I/O waits are pending (hand_off_polling
  // in thread_pool.cpp), after the seq_cst fence below.
  void end_polling() noexcept {
    // release: pairs with try_begin_polling()'s acquire (above).
    polling_.store(false, std::memory_order_release);
    // seq_cst: the leaver's half of a store-load pair with wait_registered(): either this leaver,
    // reading the pools' pending waits after the fence, sees a wait registered meanwhile (and
    // hands the role to that pool), or that registrant, reading polling_ after its fence, sees
    // the role free (and wakes a worker of its pool to take it).
    sync::atomic_thread_fence(std::memory_order_seq_cst);
  }
  // Whether some thread holds the role (read after wait_registered()'s fence).
  [[nodiscard]] bool is_polling() const noexcept {
    // relaxed: ordered by the seq_cst fences of end_polling() and wait_registered().
    return polling_.load(std::memory_order_relaxed);
  }

  // I/O waits registered in any pool and not yet resumed, and timers queued: an idle worker
  // takes the poller role only while there are some (a program that stopped doing I/O and has
  // no timer sleeps as before).
  [[nodiscard]] bool has_pending_waits() const noexcept {
    // relaxed: read after the idle worker's prepare_sleep() fence, which pairs with the fence in
    // wait_registered(): a wait registered after that look wakes the worker (notify_one).
    return pending_waits_.load(std::memory_order_relaxed) != 0;
  }
  // A wait was registered (pending_io_waits::enter); returns whether nobody polls now, in which
  // case the registrant wakes an idle worker of its pool to take the role.
  [[nodiscard]] bool wait_registered() noexcept {
    // relaxed: the fence below orders it for both readers (has_pending_waits, hand-off).
    pending_waits_.fetch_add(1, std::memory_order_relaxed);
    // seq_cst: the registrant's half of the pair described in end_polling().
    sync::atomic_thread_fence(std::memory_order_seq_cst);
    return !is_polling();
  }
  void wait_left() noexcept {
    // relaxed: a count that only gates polling; a stale non-zero costs one turn in the kernel.
    pending_waits_.fetch_sub(1, std::memory_order_relaxed);
  }

  // One turn of the reactor: wait up to `timeout_ms` (-1: until a report or an interrupt; 0:
  // not at all), then hand every report taken to its operation. Only the role's holder calls it.
  virtual void poll(int timeout_ms) noexcept = 0;
  // Makes the poll that waits now (or the next one) return. Any thread.
  virtual void interrupt() noexcept = 0;
  // Submits the kernel requests that pool workers queued for the poller's next turn (below).
  virtual void submit_queued() noexcept {}

 private:
  sync::atomic<bool> polling_{false};
  sync::atomic<std::size_t> pending_waits_{0};
};

// Set by a pool worker that queued a kernel request without submitting it (io_uring's
// completion-based operations leave the submission to the poller's next turn, which submits
// everything queued in one system call). The worker clears it when it ends the item, and then
// submits itself if another thread holds the poller role, which may already wait in the kernel;
// with the role free, whoever takes it next submits first (the driver's submission lock orders
// the queueing before that turn's submit, or the role's CAS before this check).
inline thread_local bool io_submissions_owed = false;

#if !defined(TPL_MODEL_RELACY)
// The process reactor, once a timer or tpl::io has started it; nullptr before (and in a child
// forked after tpl::io started). Never destroyed.
inline sync::atomic<io_poller*> installed_io_poller{nullptr};

[[nodiscard]] inline io_poller* current_io_poller() noexcept {
  // acquire: pairs with install_io_poller()'s release: the reactor is built before a worker
  // that sees it polls it.
  return installed_io_poller.load(std::memory_order_acquire);
}

inline void install_io_poller(io_poller* poller) noexcept {
  // release: pairs with current_io_poller()'s acquire (above).
  installed_io_poller.store(poller, std::memory_order_release);
}
#else
// Under Relacy a model hands its mock reactor to find_work_or_park itself; the shipped pool
// that models/model_pool.cpp runs has none (a global Relacy atomic would outlive its test).
[[nodiscard]] inline io_poller* current_io_poller() noexcept { return nullptr; }
#endif

}  // namespace tpl::detail
