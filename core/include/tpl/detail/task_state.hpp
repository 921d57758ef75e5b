// The lock-free heart of a task: one atomic state word (status + flags), the complete-once
// transition, a continuation slot that only moves forward, and the reference count.
//
// State word (state_), one 32-bit atomic:
//   bits 0-2  task_status (created ... canceled)
//   bit  3    completion_reserved: a completer won the race to complete and is writing the
//             outcome; every other completer now fails. Set together with nothing else.
//   bit  4    exception_observed: someone looked at the exception (for the unobserved-
//             exception report).
//   bit  5    continuations_locked: a remover (remove_continuation) is unlinking a node from
//             the continuation stack. Removers exclude each other with it, and publish()
//             waits for it to clear, so the completer never walks a stack being edited.
// Completion is two steps, as in .NET (TASK_STATE_COMPLETION_RESERVED): try_reserve_completion()
// (exactly one caller wins), then the winner writes the outcome (plain memory owned by the
// typed task) and calls complete(final_status), which publishes status and outcome with one
// release and runs the continuations.
//
// Continuation slot (continuations_) moves forward only:
//   nullptr (none yet) -> a stack of nodes (Treiber push) -> completed_sentinel()
// Registration pushes with a CAS unless it finds the sentinel (then the caller runs the
// continuation itself); completion exchanges the whole stack for the sentinel and runs each
// node once, oldest registration first. So whatever the race, each continuation runs exactly
// once: by the completer if its push came first in the slot's modification order, else by its
// registrant. Checked by models/model_task_state.cpp.
//
// A registrant that stops waiting (a timed or canceled wait, a when_any loser) takes its node
// back with remove_continuation(): under the continuations_locked bit it unlinks the node,
// unless the status is already final (then the completer has run or will run it). Pushes stay
// lock-free: they only write the head and their own node, never an existing node's link.
// Checked by models/model_combinators.cpp.
//
// Memory-ordering contract: whatever the completer wrote before complete() is visible to a
// thread that sees a final status (status(), is_completed()) or whose continuation runs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/task_status.hpp"

namespace tpl::detail {

// A continuation node. Intrusive: it lives wherever its registrant keeps it (an awaiting
// coroutine's frame, a continue_with task), so registering allocates nothing.
struct continuation {
  using invoke_function = void (*)(continuation* self);
  explicit continuation(invoke_function function, void* resumed_coroutine = nullptr)
      : invoke(function), coroutine(resumed_coroutine) {}
  invoke_function invoke;
  // The address of the coroutine that invoke() resumes, if that is all it does: a completing
  // coroutine may then resume it by symmetric transfer instead of a nested call. nullptr
  // otherwise.
  void* coroutine;
  sync::cell<continuation*> next{nullptr};  // written by the registrant before its publishing CAS
};

class task_state {
 public:
  static constexpr std::uint32_t status_mask = 0x7u;
  static constexpr std::uint32_t completion_reserved = 1u << 3;
  static constexpr std::uint32_t exception_observed = 1u << 4;
  static constexpr std::uint32_t continuations_locked = 1u << 5;

  // `references`: how many owners the state starts with (a coroutine task starts with two:
  // the handle its caller receives and the running coroutine itself).
  explicit task_state(task_status initial, std::uint32_t references = 1)
      : state_(static_cast<std::uint32_t>(initial)), references_(references) {}
  task_state(const task_state&) = delete;
  task_state& operator=(const task_state&) = delete;

  [[nodiscard]] task_status status() const {
    // acquire: pairs with the release CAS in complete(): a final status comes with the outcome.
    return static_cast<task_status>(state_.load(std::memory_order_acquire) & status_mask);
  }
  [[nodiscard]] bool is_completed() const { return is_final(status()); }

  // Moves a not-yet-final, unreserved task from one status to another (created ->
  // waiting_to_run -> running). false if the status was not `from` or completion is reserved.
  [[nodiscard]] bool try_transition(task_status from, task_status to) {
    std::uint32_t expected = state_.load(std::memory_order_relaxed);  // relaxed: the CAS re-checks
    for (;;) {
      if ((expected & (status_mask | completion_reserved)) != static_cast<std::uint32_t>(from)) return false;
      const std::uint32_t desired = (expected & ~status_mask) | static_cast<std::uint32_t>(to);
      // acq_rel: orders the body's start after whatever scheduled it (acquire) and publishes
      // the status change to observers of status() (release). relaxed on failure: re-checked.
      if (state_.compare_exchange_weak(expected, desired, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        if (to == task_status::running) diagnostics_hooks::task_started(*this);
        return true;
      }
    }
  }

  // The complete-once race, first half. true: this caller alone may now write the outcome and
  // must call complete(). false: the task is completed or another completer is completing it.
  // (A loser may set the reserved bit again on a completed task; once the status is final the
  // bit means nothing.)
  [[nodiscard]] bool try_reserve_completion() {
    // relaxed: only atomicity decides the race; the outcome is published by complete()'s
    // release, and a loser reads nothing the winner wrote.
    const std::uint32_t previous = state_.fetch_or(completion_reserved, std::memory_order_relaxed);
    return (previous & completion_reserved) == 0 && !is_final(static_cast<task_status>(previous & status_mask));
  }

  // try_reserve_completion(), but only while the status is `expected` (a queued task that a
  // cancellation callback may end before a worker starts it: the worker's try_transition()
  // out of `expected` and this reservation exclude each other).
  [[nodiscard]] bool try_reserve_completion_if(task_status expected) {
    std::uint32_t word = state_.load(std::memory_order_relaxed);  // relaxed: the CAS re-checks
    for (;;) {
      if ((word & (status_mask | completion_reserved)) != static_cast<std::uint32_t>(expected)) return false;
      // relaxed: as try_reserve_completion(): the CAS only decides the race (a worker's
      // try_transition on the same word loses it, or wins it first); the outcome is published
      // by complete(). relaxed on failure: re-checked.
      if (state_.compare_exchange_weak(word, word | completion_reserved, std::memory_order_relaxed, std::memory_order_relaxed)) {
        return true;
      }
    }
  }

  // Second half: publish `final_status` (with the outcome written since the reservation) and
  // run every registered continuation exactly once. Precondition: this thread reserved, or it
  // is the task's only possible completer (a coroutine's own final step).
  void complete(task_status final_status) {
    publish(final_status);
    run_continuations();
  }

  // complete() in two steps, for completers that run the continuations elsewhere (a completion
  // source that runs them on the pool) or that resume the newest one by symmetric transfer (a
  // coroutine's final step). After publish() the status is final; continuations registered
  // meanwhile still wait in the slot for run_continuations().
  void publish(task_status final_status) {
    std::uint32_t expected = state_.load(std::memory_order_relaxed);  // relaxed: the CAS re-checks
    std::uint32_t desired;
    do {
      // A remover is editing the stack: wait until it is done (it holds the bit for a walk of
      // the stack, never while calling out), so the continuations run later see its edits.
      while ((expected & continuations_locked) != 0) {
        sync::yield_thread();  // rare and short: give a preempted holder the core
        expected = state_.load(std::memory_order_relaxed);  // relaxed: the CAS re-checks
      }
      desired = (expected & ~(status_mask | completion_reserved)) | static_cast<std::uint32_t>(final_status);
      // acq_rel: the release half pairs with the acquire load in status(): the outcome written
      // before this is visible to whoever sees the final status. The acquire half pairs with
      // unlock_continuations()' release: a remover's unlinking happens before the walk in
      // run_continuations(). relaxed on failure: only exception_observed and the lock bit can
      // change meanwhile; the loop recomputes.
    } while (!state_.compare_exchange_weak(expected, desired, std::memory_order_acq_rel, std::memory_order_relaxed));
    diagnostics_hooks::task_completed(*this, final_status);
  }

  // The second step: closes the slot and runs every registered continuation once, oldest
  // registration first. Precondition: publish() was called.
  void run_continuations() {
    if (continuation* newest = run_continuations_but_newest()) newest->invoke(newest);
  }

  // Closes the slot and runs every registered continuation, oldest registration first (as .NET
  // runs them in registration order), except the newest, which it returns for the caller to
  // run (nullptr if there was none). Precondition: publish() was called.
  [[nodiscard]] continuation* run_continuations_but_newest() {
    // acq_rel: acquire pairs with the release CAS in add_continuation() (each node's fields);
    // release pairs with the acquire loads there that find the sentinel (the outcome).
    continuation* stack = continuations_.exchange(completed_sentinel(), std::memory_order_acq_rel);
    if (stack == nullptr) return nullptr;
    continuation* newest = stack;
    stack = newest->next.load();
    // The stack is newest first: reverse it.
    continuation* oldest_first = nullptr;
    while (stack != nullptr) {
      continuation* next = stack->next.load();
      stack->next.store(oldest_first);
      oldest_first = stack;
      stack = next;
    }
    while (oldest_first != nullptr) {
      continuation* next = oldest_first->next.load();  // read before invoke: it may free the node
      oldest_first->invoke(oldest_first);
      oldest_first = next;
    }
    return newest;
  }

  // Registers `node` to run when the task completes. false: it already completed; the caller
  // runs the continuation itself (and sees the outcome).
  [[nodiscard]] bool add_continuation(continuation* node) {
    // acquire: pairs with the release half of complete()'s exchange: finding the sentinel
    // means the outcome is visible to the caller, who then runs the continuation itself.
    continuation* head = continuations_.load(std::memory_order_acquire);
    do {
      if (head == completed_sentinel()) return false;
      node->next.store(head);
      // acq_rel: the release half pairs with the acquire half of complete()'s exchange (the
      // node's fields are visible to the completer); the acquire half is only there because a
      // failure order may not be stronger than the success order. acquire on failure: the new
      // head may be the sentinel, whose outcome the caller then reads.
    } while (!continuations_.compare_exchange_weak(head, node, std::memory_order_acq_rel, std::memory_order_acquire));
    return true;
  }

  // Takes `node` (registered with add_continuation by the caller) back out of the slot.
  // true: it is unlinked and will never run. false: the status is final, so the completer has
  // run the node or is about to; the caller must wait for that run before freeing the node.
  [[nodiscard]] bool remove_continuation(continuation* node) {
    if (!lock_continuations()) return false;
    std::size_t newer_passed = 0;
    const bool removed = unlink(node, newer_passed);
    unlock_continuations();
    if (removed) diagnostics_hooks::continuation_withdrawn(*this, newer_passed);
    return removed;
  }

  // Whether any continuation is registered and not yet run (for tests and models: a waiter
  // that gave up, or a when_any loser, must leave none behind).
  [[nodiscard]] bool has_pending_continuations() const {
    // relaxed: a snapshot of the head; nothing is read through it.
    const continuation* head = continuations_.load(std::memory_order_relaxed);
    return head != nullptr && head != completed_sentinel();
  }

  // Marks the exception as observed; returns whether it already was.
  bool mark_exception_observed() {
    // relaxed: a flag for the unobserved-exception report, read by the last owner after the
    // reference count's acq_rel decrement ordered everything before it.
    return (state_.fetch_or(exception_observed, std::memory_order_relaxed) & exception_observed) != 0;
  }
  [[nodiscard]] bool exception_was_observed() const {
    // relaxed: see mark_exception_observed().
    return (state_.load(std::memory_order_relaxed) & exception_observed) != 0;
  }

  // Reference count of the shared state: handles and pending continuations each hold one.
  void add_reference() {
    // relaxed: a new reference is made from an existing one, which keeps the state alive.
    references_.fetch_add(1, std::memory_order_relaxed);
  }
  // true: that was the last reference; the caller destroys the state.
  [[nodiscard]] bool release_reference() {
    // acq_rel: release publishes this owner's uses before the count drops; acquire (for the
    // last owner) makes every other owner's uses happen-before the destruction.
    return references_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

 private:
  // false: the status is final (no removal possible). true: this thread holds the bit.
  bool lock_continuations() {
    std::uint32_t word = state_.load(std::memory_order_relaxed);  // relaxed: the CAS re-checks
    for (;;) {
      if (is_final(static_cast<task_status>(word & status_mask))) return false;
      if ((word & continuations_locked) != 0) {
        sync::yield_thread();  // rare and short: give a preempted holder the core
        word = state_.load(std::memory_order_relaxed);  // relaxed: the CAS re-checks
        continue;
      }
      const std::uint32_t locked = word | continuations_locked;
      // acquire: pairs with unlock_continuations()' release: the previous remover's unlinking
      // is visible before this one walks the stack. relaxed on failure: re-checked.
      if (state_.compare_exchange_weak(word, locked, std::memory_order_acquire, std::memory_order_relaxed)) {
        return true;
      }
    }
  }
  void unlock_continuations() {
    // release: pairs with the acquire CAS of the next lock_continuations() and with publish()'s
    // acq_rel CAS: this remover's edits to the stack happen before theirs.
    state_.fetch_and(~continuations_locked, std::memory_order_release);
  }
  // Under the bit: the completer cannot close the slot (publish() waits), other removers wait;
  // only pushes run concurrently, and they touch the head alone.
  // `newer_passed`: how many newer registrations the walk passed to find `node` (0 when it is
  // the newest), which a tracer sees: withdrawing newest first keeps every removal O(1).
  bool unlink(continuation* node, std::size_t& newer_passed) {
    // acquire: pairs with the release CAS in add_continuation(): the links of every node pushed
    // so far are visible to this walk.
    continuation* head = continuations_.load(std::memory_order_acquire);
    for (;;) {
      if (head == nullptr || head == completed_sentinel()) return false;
      if (head == node) {
        continuation* below = node->next.load();
        // acquire (both): on failure a push raced in, and the new head's link must be visible
        // (pairs with add_continuation()'s release CAS); success needs nothing more (the
        // completer orders after this through the bit), but may not be weaker than failure.
        if (continuations_.compare_exchange_strong(head, below, std::memory_order_acquire, std::memory_order_acquire)) {
          return true;
        }
        continue;  // `node` is now below the new head: walk from there
      }
      for (continuation* previous = head; previous != nullptr; ++newer_passed) {
        continuation* current = previous->next.load();
        if (current == node) {
          ++newer_passed;
          previous->next.store(node->next.load());
          return true;
        }
        previous = current;
      }
      return false;
    }
  }

  // An address that is never a real node and is never dereferenced. A tag byte rather than a
  // static continuation object: a static facade object would be built before a Relacy model
  // exists (RELACY.md: namespace-scope Relacy objects crash at start-up).
  static continuation* completed_sentinel() noexcept {
    alignas(continuation) static char sentinel_tag;
    return reinterpret_cast<continuation*>(&sentinel_tag);
  }

  // The two 32-bit words side by side: 16 bytes, not 24 (every coroutine frame holds one).
  sync::atomic<std::uint32_t> state_;
  sync::atomic<std::uint32_t> references_;
  sync::atomic<continuation*> continuations_{nullptr};
};

}  // namespace tpl::detail
