// The lock-free protocol of a reusable value_task source (manual_reset_value_task_source): one
// 64-bit word holding the source's version and the phase of the operation that version stands
// for, so every transition is one CAS that also checks the version. An awaiter holding a token of
// an older version (the source was reset and reused) can never register, read or consume: its
// CAS fails and it gets invalid_operation, in every build.
//
//   pending ──try_register──▶ registering ──(cells written)──▶ waiting
//      │                           │                              │ complete()
//      └────────── complete() ─────┴──────▶ completed          completed_for_awaiter
//                                              │ begin_consume     │ begin_consume (the awaiter,
//                                              ▼                   ▼  resumed; anyone else asking
//                                           consuming ◀────────────┘  is a second awaiter)
//                                              │ end_consume
//                                              ▼
//   (version + 1, pending) ◀── end_reset ── resetting ◀── begin_reset ── consumed
//
// begin_reset() is also allowed from pending (nothing ever completed) and completed (the result
// is dropped unread); it refuses while an awaiter registers, waits or is being resumed (it would
// be lost), while a completion is in progress, and while a consumer reads the outcome. A
// completion that meets `registering` (the awaiter is between its two CASes) just completes; the
// awaiter's second CAS then fails and it continues on its own (so nobody ever waits for anybody:
// lock-free). A producer first claims the operation
// (reserve_completion sets the word's `reserved` bit: a second set_* throws), then writes the
// result, then complete()s with the outcome's kind; if writing the result throws (a throwing
// copy or move), it gives the claim back (cancel_reservation) and the operation is pending and
// completable again. The kind (value, error, canceled) lives in the word that complete()
// publishes, so a status query is one atomic load and never reads a field reset() may be
// rewriting. 58 bits of version: wrapping needs 2^58 resets.
//
// models/model_value_task_source.cpp checks it with the real manual_reset_value_task_source.
#pragma once

#include <cstdint>

#include "tpl/detail/basic_exceptions.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/value_task_continuation.hpp"

namespace tpl::detail {

class value_task_source_state {
 public:
  // completed_for_awaiter: completed while an awaiter waited; the outcome is the awaiter's, and
  // anyone else asking is a second awaiter.
  enum class phase : std::uint64_t {
    pending,
    registering,
    waiting,
    completed,
    completed_for_awaiter,
    consuming,
    consumed,
    resetting
  };

  // What a completed operation holds; none while it is pending (and after a reset).
  enum class outcome : std::uint64_t { none, value, error, canceled };

  value_task_source_state() = default;
  value_task_source_state(const value_task_source_state&) = delete;
  value_task_source_state& operator=(const value_task_source_state&) = delete;

  // The owner's current version: the token a new value_task gets.
  [[nodiscard]] std::uint64_t version() const {
    // relaxed: only the owner changes the version (reset), and it reads its own latest store.
    return version_of(word_.load(std::memory_order_relaxed));
  }

  // Consumer: the outcome of `token`'s operation, or outcome::none while it is pending. Throws
  // invalid_operation for a stale token or an outcome already consumed. The kind is read from
  // the word itself, so a reset() racing this call makes it throw (stale), never read a field
  // the owner is rewriting.
  [[nodiscard]] outcome completion(std::uint64_t token) const {
    // acquire: pairs with complete()'s release CAS: a caller that sees `completed` may read the
    // result written before it (get_result does so through begin_consume, which acquires again).
    const std::uint64_t word = word_.load(std::memory_order_acquire);
    const phase now = checked_phase(word, token);
    if (now == phase::consuming || now == phase::consumed) throw_consumed();
    if (now == phase::completed_for_awaiter) throw_second_awaiter();
    return now == phase::completed ? outcome_of(word) : outcome::none;
  }

  // Consumer: leaves `continuation` to run at completion (true), or returns false if the
  // operation already completed (the caller continues itself). Throws invalid_operation for a
  // stale token, a second awaiter, or an outcome already consumed.
  bool try_register(std::uint64_t token, tpl::value_task_continuation continuation) {
    // relaxed (this load and the CAS): a caller told `completed` (false) reads the outcome only
    // through begin_consume(), whose acquire CAS pairs with complete(); nothing else is read here.
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      const phase now = checked_phase(word, token);
      if (now == phase::completed) return false;
      if (now == phase::consuming || now == phase::consumed) throw_consumed();
      if (now != phase::pending) throw_second_awaiter();
      // relaxed / relaxed: claims the cells only; nothing is published or read through this CAS.
      if (word_.compare_exchange_weak(word, with_phase(word, phase::registering), std::memory_order_relaxed,
                                      std::memory_order_relaxed)) {  // (failure: retried, nothing read)
        break;
      }
    }
    // The cells are ours: no other awaiter can pass `registering`, complete() does not read them
    // before it sees `waiting`.
    invoke_.store(continuation.invoke);
    context_.store(continuation.context);
    // Meanwhile a producer may set the reserved bit (the phase stays registering) or complete
    // (the phase becomes completed): retry on the first, continue on our own after the second.
    // Any other phase means a second consumer (misuse) already took the completed outcome.
    std::uint64_t current = with_phase(word, phase::registering);
    for (;;) {
      if (phase_of(current) == phase::completed) return false;
      if (phase_of(current) != phase::registering) throw_consumed();
      // release (success): publishes the cells to complete()'s acquire CAS. relaxed (failure):
      // if complete() won meanwhile, the caller reads the outcome through begin_consume().
      if (word_.compare_exchange_weak(current, with_phase(current, phase::waiting), std::memory_order_release,
                                      std::memory_order_relaxed)) {  // failure: see begin_consume()
        return true;
      }
    }
  }

  // Producer, before writing the outcome: claims the one completion of the current operation.
  // Throws invalid_operation if it was already claimed (a second set_*).
  void reserve_completion() {
    // relaxed: the CAS below re-reads the word; this load only picks the expected value.
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      if ((word & reserved_bit) != 0) {
        throw invalid_operation(
            "tpl::manual_reset_value_task_source: the operation already completed (reset() starts the next one)");
      }
      if (phase_of(word) == phase::resetting) {
        throw invalid_operation("tpl::manual_reset_value_task_source: completed while reset() runs");
      }
      // acquire: pairs with end_reset()'s release store: the outcome this producer writes next comes
      // after the owner cleared the previous one (and so after the previous consumer's reads).
      if (word_.compare_exchange_weak(word, word | reserved_bit, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {  // failure: retried, nothing read
        return;
      }
    }
  }

  // Producer, after reserve_completion() when writing the result threw: gives the claim back,
  // so the operation is pending again (another set_* may complete it, reset() may start the
  // next one) and an awaiter registered meanwhile stays registered.
  void cancel_reservation() {
    // relaxed: the CAS below re-reads the word; this load only picks the expected value.
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      // release (success): pairs with the next reserve_completion()'s acquire CAS and
      // begin_reset()'s acquire CAS: whatever the failed construction wrote into the result's
      // storage happens before the next producer or the owner writes it. relaxed (failure):
      // retried (an awaiter moved registering -> waiting meanwhile), nothing read.
      if (word_.compare_exchange_weak(word, word & ~reserved_bit, std::memory_order_release,
                                      std::memory_order_relaxed)) {  // failure: retried, nothing read
        return;
      }
    }
  }

  // Producer, after reserve_completion() and writing the result: marks the operation completed
  // with `kind` and returns the awaiter's continuation to run (invoke == nullptr when nobody
  // waits).
  tpl::value_task_continuation complete(outcome kind) {
    // relaxed: the CAS below re-reads the word; this load only picks the expected value.
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      const phase now = phase_of(word);  // pending, registering or waiting: only the reserver completes
      const phase next = now == phase::waiting ? phase::completed_for_awaiter : phase::completed;
      // acq_rel: the release half publishes the outcome to the consumer's acquire (is_completed,
      // begin_consume); the acquire half pairs with try_register's release CAS to `waiting`,
      // making the continuation cells visible.
      if (word_.compare_exchange_weak(word, with_outcome(with_phase(word, next), kind), std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {  // failure: retried, nothing read
        if (now != phase::waiting) return {};
        return {invoke_.load(), context_.load()};
      }
    }
  }

  // Consumer: claims the completed outcome of `token` before reading it, and returns its kind;
  // end_consume() after. Throws invalid_operation for a stale token, an operation not completed
  // yet, or an outcome already consumed.
  outcome begin_consume(std::uint64_t token) {
    // relaxed: the CAS below re-reads the word; this load only picks the expected value.
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      const phase now = checked_phase(word, token);
      if (now == phase::consuming || now == phase::consumed) throw_consumed();
      if (now != phase::completed && now != phase::completed_for_awaiter) {
        throw invalid_operation("tpl::value_task: the result was asked for before the operation completed");
      }
      // acquire (success): pairs with complete()'s release CAS, so the outcome read next is the
      // producer's. relaxed (failure): the retry only re-checks the phase.
      if (word_.compare_exchange_weak(word, with_phase(word, phase::consuming), std::memory_order_acquire,
                                      std::memory_order_relaxed)) {  // failure: only re-checks the phase
        return outcome_of(word);
      }
    }
  }
  void end_consume() {
    // release: pairs with begin_reset()'s acquire CAS: the consumer's reads (and moves) of the outcome
    // happen before the owner overwrites it for the next operation. Only the consumer that won
    // begin_consume() changes a consuming word, so a plain store of the known value is enough.
    const std::uint64_t word = word_.load(std::memory_order_relaxed);           // relaxed: our own consuming word
    word_.store(with_phase(word, phase::consumed), std::memory_order_release);  // release: see above
  }

  // Owner: starts the next operation in two steps: begin_reset() claims the source (throws
  // invalid_operation while an awaiter registers or waits, a completion is in progress, or a
  // consumer reads the outcome), the owner clears the outcome, end_reset() publishes the next
  // version. Meanwhile every call with the old token throws (stale).
  void begin_reset() {
    // relaxed: the CAS below re-reads the word; this load only picks the expected value.
    std::uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      const phase now = phase_of(word);
      const bool completing = (word & reserved_bit) != 0 && now != phase::completed && now != phase::consumed &&
                              now != phase::completed_for_awaiter;
      if (now == phase::registering || now == phase::waiting || now == phase::completed_for_awaiter ||
          now == phase::consuming || now == phase::resetting || completing) {
        throw invalid_operation(
            "tpl::manual_reset_value_task_source: reset() while the current operation is awaited, being completed, "
            "or its result is being read");
      }
      // acquire: pairs with end_consume()'s release store, so the consumer's reads of the
      // outcome happen before the owner clears it.
      if (word_.compare_exchange_weak(word, pack(version_of(word), phase::resetting), std::memory_order_acquire,
                                      std::memory_order_relaxed)) {  // failure: retried, nothing read
        return;
      }
    }
  }
  void end_reset() {
    // relaxed load: only the owner changes a resetting word. release store: pairs with
    // reserve_completion()'s acquire, so the next producer writes the outcome after the owner
    // cleared it.
    const std::uint64_t word = word_.load(std::memory_order_relaxed);  // relaxed: our own resetting word
    word_.store(pack(version_of(word) + 1, phase::pending), std::memory_order_release);  // release: see above
  }

 private:
  // version << 6 | outcome << 4 | reserved << 3 | phase
  static constexpr unsigned phase_bits = 3;
  static constexpr std::uint64_t phase_mask = (std::uint64_t{1} << phase_bits) - 1;
  static constexpr std::uint64_t reserved_bit = std::uint64_t{1} << phase_bits;
  static constexpr unsigned outcome_shift = phase_bits + 1;
  static constexpr std::uint64_t outcome_mask = std::uint64_t{3} << outcome_shift;
  static constexpr unsigned version_shift = outcome_shift + 2;

  static std::uint64_t pack(std::uint64_t version, phase p) {
    return (version << version_shift) | static_cast<std::uint64_t>(p);
  }
  static std::uint64_t version_of(std::uint64_t word) { return word >> version_shift; }
  static phase phase_of(std::uint64_t word) { return static_cast<phase>(word & phase_mask); }
  static std::uint64_t with_phase(std::uint64_t word, phase p) {
    return (word & ~phase_mask) | static_cast<std::uint64_t>(p);
  }
  static outcome outcome_of(std::uint64_t word) { return static_cast<outcome>((word & outcome_mask) >> outcome_shift); }
  static std::uint64_t with_outcome(std::uint64_t word, outcome kind) {
    return (word & ~outcome_mask) | (static_cast<std::uint64_t>(kind) << outcome_shift);
  }

  static phase checked_phase(std::uint64_t word, std::uint64_t token) {
    if (version_of(word) != token || phase_of(word) == phase::resetting) {
      throw invalid_operation(
          "tpl::value_task: the source was reset and reused since this value_task was made (a stale version token)");
    }
    return phase_of(word);
  }
  [[noreturn]] static void throw_consumed() {
    throw invalid_operation(
        "tpl::value_task: this operation's result was already consumed (a value_task is awaited once)");
  }
  [[noreturn]] static void throw_second_awaiter() {
    throw invalid_operation("tpl::value_task: the operation already has an awaiter (a value_task is awaited once)");
  }

  sync::atomic<std::uint64_t> word_{pack(0, phase::pending)};
  sync::cell<void (*)(void*)> invoke_{nullptr};  // written in `registering`, read by complete() after `waiting`
  sync::cell<void*> context_{nullptr};
};

}  // namespace tpl::detail
