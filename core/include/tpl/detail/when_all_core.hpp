// The shared state of a when_all task: one continuation slot per input, registered on that
// input, and a countdown of the inputs still running. The arrival that takes the count to zero
// is the only completer: it reads every input's outcome (each published by that input's own
// release), writes the combinator's outcome by .NET's rules and completes the task.
//
// The count starts at inputs + 1: the extra unit is the registering thread's, so no arrival can
// finish the task while start() is still registering. Inputs found complete during start() are
// not registered at all; start() takes their units off together with its own in one
// fetch_sub, so a when_all over completed tasks costs one atomic operation on the count.
//
// Lifetime: two references to start with, the caller's handle and the pending inputs' (dropped
// by finish()). The core holds a handle to every input until it is destroyed.
//
// Checked by models/model_combinators.cpp (two and three inputs completing on different
// threads, against the registering thread).
#pragma once

#include <cstddef>
#include <exception>
#include <span>
#include <utility>
#include <vector>

#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/cancellation_state.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/sync/sync.hpp"

namespace tpl::detail {

// The outcome rules, apart from the values: every fault of every faulted input in input order,
// else canceled (with the first canceled input's task_canceled) if any input was canceled.
// Returns true if the inputs all ran to completion (the caller then writes the values).
template <class R>
bool write_failures_of(task_core_of<R>& combinator, std::span<task_core* const> inputs,
                       std::vector<std::exception_ptr> extra_errors) {
  std::vector<std::exception_ptr> errors;
  task_core* first_canceled = nullptr;
  for (task_core* input : inputs) {
    const task_status status = input->state().status();
    if (status == task_status::faulted) {
      input->state().mark_exception_observed();  // it travels on in the combinator's aggregate
      input->errors().append_to(errors);
    } else if (status == task_status::canceled && first_canceled == nullptr) {
      first_canceled = input;
    }
  }
  errors.insert(errors.end(), extra_errors.begin(), extra_errors.end());
  if (!errors.empty()) {
    combinator.set_errors(std::move(errors));
    return false;
  }
  if (first_canceled != nullptr) {
    combinator.set_canceled_outcome(first_canceled->cancellation());
    return false;
  }
  return true;
}

// `Derived` provides inputs() (a span of its inputs' cores, in input order) and
// write_values() (the result, called only when every input ran to completion).
template <class R, class Derived>
class when_all_core : public task_core_of<R> {
 public:
  struct input_slot : continuation {
    input_slot() : continuation(&input_slot::input_completed) {}
    when_all_core* owner = nullptr;
    task_core* input = nullptr;

    static void input_completed(continuation* self) {
      auto* me = static_cast<input_slot*>(self);
      me->owner->note_failure_of(*me->input);
      me->owner->arrive(1);
    }
  };

 protected:
  // `cancel_on_failure`: the fail-fast form's source state (empty: .NET's wait-for-all).
  when_all_core(task_core::destroy_function destroy, cancellation_state_ref cancel_on_failure)
      : task_core_of<R>(task_status::waiting_for_activation, 2, destroy),
        cancel_on_failure_(std::move(cancel_on_failure)) {}

  // Registers every slot (their `input` already set). Called once, by the creating thread,
  // which holds the caller's handle meanwhile.
  void start(std::span<input_slot> slots) {
    // relaxed: this thread's own registrations below publish it (their release CAS), and an
    // arrival's fetch_sub reads the count after acquiring its node from the input.
    pending_.store(slots.size() + 1, std::memory_order_relaxed);
    std::size_t completed_already = 0;
    for (input_slot& slot : slots) {
      slot.owner = this;
      if (!slot.input->state().is_completed()) diagnostics_hooks::continuation_registering(slot.input->state());
      if (slot.input->state().is_completed() || !slot.input->state().add_continuation(&slot)) {
        note_failure_of(*slot.input);
        ++completed_already;
      }
    }
    arrive(completed_already + 1);  // the inputs found complete, and this thread's own unit
  }

 private:
  void note_failure_of(task_core& input) {
    if (cancel_on_failure_.get() == nullptr) return;
    const task_status status = input.state().status();
    if (status != task_status::faulted && status != task_status::canceled) return;
    // Only the first cancel() runs the callbacks and gets their exceptions, so one arrival at
    // most writes cancel_errors_; finish() reads them after the count's acquire.
    try {
      // Nobody retries this cancel: it happens even without working memory.
      std::vector<std::exception_ptr> errors = cancel_on_failure_->cancel(cancellation_state::without_memory::cancel_anyway);
      if (!errors.empty()) cancel_errors_ = std::move(errors);
    } catch (...) {
      cancel_errors_.assign(1, std::current_exception());  // no memory for the callbacks' list
    }
  }

  void arrive(std::size_t count) {
    // acq_rel: each arrival's release publishes what it wrote into the core (cancel_errors_,
    // its slot) before its unit; the last one's acquire makes all of it visible to finish()
    // and to the core's destruction that may follow.
    if (pending_.fetch_sub(count, std::memory_order_acq_rel) == count) finish();
  }

  void finish() {
    auto& derived = static_cast<Derived&>(*this);
    try {
      if (write_failures_of<R>(*this, derived.inputs(), std::move(cancel_errors_))) derived.write_values();
    } catch (...) {
      // Copying a value (or the aggregate's vector) threw: the combinator faults with that.
      this->set_errors({});
      try {
        this->add_error(std::current_exception());
      } catch (...) {
        this->set_canceled_outcome();  // not even room for the error
      }
    }
    this->state().complete(this->outcome_status());  // the only completer: no reservation
    this->release();                                 // the pending inputs' reference
  }

  sync::atomic<std::size_t> pending_{0};
  cancellation_state_ref cancel_on_failure_;
  std::vector<std::exception_ptr> cancel_errors_;  // written by at most one arrival (see note_failure_of)
};

}  // namespace tpl::detail
