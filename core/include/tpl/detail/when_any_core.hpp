// The shared state of a when_any task: one continuation slot per input and a first-wins word.
// The first input to complete sets `won` and completes the combinator with its index (the
// combinator always runs to completion, whatever that input's outcome). Then the losers' slots
// are taken back out of their inputs (task_state::remove_continuation), as .NET's WhenAny
// removes its continuation from the other tasks: a loser that never completes keeps nothing of
// the combinator alive, and the combinator drops its handles to the inputs.
//
// Who cleans up: start() registers the slots while an input may already be winning on another
// thread, and only start() knows which slots it registered. So the phase word has two bits,
// `won` (set by the winner, or by abandon()) and `registered` (set by start() when it is done);
// whoever sets the second one removes the registered slots. A removal that fails means that
// input is completing: its slot runs, finds `won`, and only drops its reference.
//
// Lifetime: the caller's handle, start()'s own reference while it registers, and one per
// registered slot (dropped when the slot runs or is removed).
//
// Checked by models/model_combinators.cpp (two completers racing each other and start()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

// `Derived` provides write_winner(index, input core) (the result) and drop_inputs() (releases
// its handles to the inputs; called once, by the cleanup, after which it touches no input).
template <class R, class Derived>
class when_any_core : public task_core_of<R> {
 public:
  struct input_slot : continuation {
    input_slot() : continuation(&input_slot::input_completed) {}
    when_any_core* owner = nullptr;
    task_core* input = nullptr;  // kept alive by the owner's handle until drop_inputs()
    std::size_t index = 0;

    static void input_completed(continuation* self) {
      auto* me = static_cast<input_slot*>(self);
      // The input is completing (its completer holds a reference to it): it is safe to read here
      // even once the owner dropped its handles.
      me->owner->arrive(me->index, *me->input);
    }
  };

  // Gives up on the inputs (wait_any's timeout): unless an input already won, the combinator
  // ends canceled and its slots are removed. Called by the holder of a handle, after start().
  // false: an input won first; the combinator is completing (or completed) with it.
  bool abandon() {
    // relaxed: only atomicity matters (exactly one of this and the arrivals sees `won` clear).
    // No data flows through it: start() returned before the caller got its handle, so
    // registered_count_ and the slots are already visible here; an arrival that loses to this
    // reads nothing this call writes.
    const std::uint32_t previous = phase_.fetch_or(won, std::memory_order_relaxed);
    if ((previous & won) != 0) return false;
    this->set_canceled_outcome();
    this->state().complete(task_status::canceled);
    if ((previous & registered) != 0) remove_registered_slots();
    return true;
  }

 protected:
  when_any_core(task_core::destroy_function destroy)
      // The caller's handle and start()'s own reference.
      : task_core_of<R>(task_status::waiting_for_activation, 2, destroy) {}

  // Registers the slots (their `input` already set) until one input wins. Called once, by the
  // creating thread, which holds the caller's handle meanwhile.
  void start(std::span<input_slot> slots) {
    slots_ = slots;
    std::size_t count = 0;
    for (input_slot& slot : slots) {
      // relaxed: only saves work (a won race is decided by the fetch_or in arrive()); a stale
      // read registers one more slot, which the cleanup removes.
      if ((phase_.load(std::memory_order_relaxed) & won) != 0) break;
      slot.owner = this;
      slot.index = count;
      ++count;
      this->add_reference();  // the slot's
      diagnostics_hooks::continuation_registering(slot.input->state());
      if (!slot.input->state().add_continuation(&slot)) slot.invoke(&slot);  // complete: it arrives now
    }
    registered_count_ = count;
    // release: publishes registered_count_ (and the slots' fields) to a winner whose acquire
    // fetch_or sees `registered`. No acquire needed: a start() that sees `won` and cleans up
    // reads only what it wrote itself (the winner writes the result, which start() never reads;
    // the reference count orders the destruction).
    const std::uint32_t previous = phase_.fetch_or(registered, std::memory_order_release);
    if ((previous & won) != 0) remove_registered_slots();
    this->release();  // start()'s own reference
  }

 private:
  static constexpr std::uint32_t won = 1;
  static constexpr std::uint32_t registered = 2;

  void arrive(std::size_t index, task_core& input) {
    // acquire: pairs with start()'s release fetch_or: when `registered` is already set, the
    // cleanup below reads registered_count_ and the slots start() wrote. Exactly one arrival (or
    // abandon()) sees `won` clear: atomicity decides that. No release needed: the winner writes
    // the result after this, and start()'s cleanup never reads it.
    const std::uint32_t previous = phase_.fetch_or(won, std::memory_order_acquire);
    if ((previous & won) == 0) {
      static_cast<Derived&>(*this).write_winner(index, input);  // a copy of a handle: cannot throw
      this->state().complete(task_status::ran_to_completion);
      if ((previous & registered) != 0) remove_registered_slots();
    }
    this->release();  // the slot's reference
  }

  void remove_registered_slots() {
    // Newest first: each input's continuations are a stack, so the slot taken back is (unless a
    // registration from elsewhere came later) its top, and removing n slots costs O(n) even when
    // one input is passed n times (oldest first walked the whole stack each time: O(n^2)).
    for (std::size_t remaining = registered_count_; remaining > 0; --remaining) {
      input_slot& slot = slots_[remaining - 1];
      if (slot.input->state().remove_continuation(&slot)) this->release();  // it will never run
    }
    static_cast<Derived&>(*this).drop_inputs();
  }

  sync::atomic<std::uint32_t> phase_{0};
  std::span<input_slot> slots_;
  std::size_t registered_count_ = 0;  // written by start() before it sets `registered`
};

}  // namespace tpl::detail
