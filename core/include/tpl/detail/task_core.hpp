// The shared state behind every task handle: the lock-free task_state (status word,
// continuation slot, reference count) plus the outcome: a value, one or more exceptions, or
// canceled. Whoever completes the task writes the outcome between winning the complete-once
// race and publishing the final status, so a reader that sees a final status reads a
// finished, immutable outcome.
//
// Every kind of task puts its state in the one allocation it needs anyway: a coroutine's
// promise (the frame), run()'s work item, a continuation task's node, a completion source's
// block. `destroy` knows which.
#pragma once

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/exceptions.hpp"
#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/error_list.hpp"
#include "tpl/detail/task_state.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/unobserved_exceptions.hpp"

namespace tpl::detail {

class task_core {
 public:
  using destroy_function = void (*)(task_core* self) noexcept;

  task_core(task_status initial, std::uint32_t references, destroy_function destroy)
      : state_(initial, references), destroy_(destroy) {}
  task_core(const task_core&) = delete;
  task_core& operator=(const task_core&) = delete;

  task_state& state() noexcept { return state_; }
  const task_state& state() const noexcept { return state_; }

  void add_reference() { state_.add_reference(); }

  // Drops one reference; the last one reports an unobserved fault, then destroys the state.
  void release() noexcept {
    if (!state_.release_reference()) return;
#if TPL_DIAGNOSTICS_HOOKS
    if (tracked_) diagnostics_hooks::record_destroyed(*this);  // before anything of it goes
#endif
    // The reference count's acq_rel ordered every owner's use (and the completion) before here.
    if (state_.status() == task_status::faulted && !state_.exception_was_observed()) {
      try {
        report_unobserved(aggregate_exception(errors_.to_vector()));
      } catch (...) {
        // No memory to build the aggregate: say so on stderr, if anyone listens, rather than
        // terminate (release() is noexcept).
        if (unobserved_exceptions_are_heard()) {
          std::fputs("tpl: a faulted task's exception was never observed (no memory to describe it)\n", stderr);
        }
      }
    }
    destroy_without_recursion(this);
  }

  // --- Outcome, written by the completer only (before publishing) -------------------------
  // The first error never allocates (error_list.hpp); a later one may throw std::bad_alloc.
  void add_error(std::exception_ptr error) { errors_.push_back(std::move(error)); }
  void set_errors(std::vector<std::exception_ptr> errors) { errors_.assign(std::move(errors)); }
  // A copy of another task's errors; if copying throws, this task's errors are left as they were.
  void copy_errors(const error_list& errors) {
    error_list copy = errors;
    errors_ = std::move(copy);
  }
  // Canceled, optionally with the task_canceled to report (it carries the token); without
  // one, a plain task_canceled is made when it is needed.
  void set_canceled_outcome(std::exception_ptr cancellation = nullptr) noexcept {
    canceled_ = true;
    errors_.clear();
    errors_.push_back(std::move(cancellation));  // into the empty list's first slot: no allocation
  }
  // The final status the written outcome stands for.
  [[nodiscard]] task_status outcome_status() const noexcept {
    if (canceled_) return task_status::canceled;
    return errors_.empty() ? task_status::ran_to_completion : task_status::faulted;
  }

  // --- Reading the outcome (only after a final status was seen) ---------------------------
  [[nodiscard]] const error_list& errors() const noexcept { return errors_; }

  // The work item that runs this task when it is queued (run()'s tasks), or nullptr. A pool
  // worker that blocks on the task runs it inline if it is still the newest item of its deque.
  [[nodiscard]] work_item* queued_item() noexcept {
    if (queued_item_offset_ == 0) return nullptr;
    return reinterpret_cast<work_item*>(reinterpret_cast<char*>(this) + queued_item_offset_);
  }
  // `claimable`: the item may also be run by a waiter while it is still queued (it then finds
  // the task started when it is reached, and only drops its reference). Every run of such an
  // item must start the task with one try_transition(waiting_to_run, running) and end by
  // releasing exactly one reference, whoever runs it.
  void set_queued_item(pool_work_item* item, bool claimable) noexcept {
    queued_item_offset_ = static_cast<std::int32_t>(reinterpret_cast<char*>(item) - reinterpret_cast<char*>(this));
    inline_claimable_ = claimable;
  }

  // .NET's Task.Wait inlining (TryExecuteTaskInline): a waiter runs a task that is still queued
  // somewhere, instead of blocking until a thread reaches its queue entry. true if the task was
  // waiting to run and this call ran its item (the task may still be waiting, e.g. on an
  // unwrapped inner task); false if it is not claimable or already started.
  // Only a waiter on a worker of the pool the item was queued to claims it (`waiter_pool`).
  bool claim_and_run_inline(const thread_pool& waiter_pool) {
    if (!inline_claimable_ || state_.status() != task_status::waiting_to_run) return false;
    if (static_cast<pool_work_item*>(queued_item())->target != &waiter_pool) return false;
    add_reference();  // the inline run releases it; the queued entry keeps its own
    work_item* item = queued_item();
    item->run(item, true);
    return true;
  }

  // Diagnostics recorded this task (diagnostics_hooks::record_created, before it is shared).
  void mark_tracked() noexcept { tracked_ = true; }

  // The task_canceled a canceled task reports.
  [[nodiscard]] std::exception_ptr cancellation() const {
    return errors_.empty() ? std::make_exception_ptr(task_canceled()) : errors_.front();
  }

  // What `co_await` does with a task that did not run to completion: rethrow the first
  // exception as it was thrown, or throw task_canceled.
  void rethrow_if_unsuccessful_for_await() {
    const task_status status = state_.status();
    if (status == task_status::faulted) {
      state_.mark_exception_observed();
      std::rethrow_exception(errors_.front());
    }
    if (status == task_status::canceled) std::rethrow_exception(cancellation());
  }

  // What get()/wait() do: every exception in one aggregate_exception; a canceled task's
  // aggregate holds one task_canceled (as .NET's Wait() and Result do).
  void rethrow_if_unsuccessful_for_blocking_wait() {
    const task_status status = state_.status();
    if (status == task_status::faulted) {
      state_.mark_exception_observed();
      throw aggregate_exception(errors_.to_vector());
    }
    if (status == task_status::canceled) {
      throw aggregate_exception({cancellation()});
    }
  }

  // .NET's Task.Exception: the aggregate of a faulted task (marking it observed), else none.
  [[nodiscard]] std::optional<aggregate_exception> exception_if_faulted() {
    if (state_.status() != task_status::faulted) return std::nullopt;
    state_.mark_exception_observed();
    return aggregate_exception(errors_.to_vector());
  }

 protected:
  ~task_core() = default;  // destroyed through destroy_ only

 private:
  // Destroying a state may drop the last reference to another (a coroutine frame holds the
  // task it awaited, which holds the one it awaited ...): a chain of a million tasks would
  // destroy itself recursively and overflow the stack. So destruction is a per-thread
  // trampoline: a destruction started inside another one is queued, and the outermost one
  // destroys the queue in a loop.
  static void destroy_without_recursion(task_core* core) noexcept {
    // Per thread, through the facade: under Relacy each model thread has its own queue (a C++
    // thread_local would be shared by the model's fibers and hand one thread's destruction to
    // another behind the checker's back).
    if (destruction_draining::get()) {
      core->next_to_destroy_ = destruction_queue_head::get();
      destruction_queue_head::set(core);
      return;
    }
    destruction_draining::set(true);
    core->destroy_(core);
    while (task_core* next = destruction_queue_head::get()) {
      destruction_queue_head::set(next->next_to_destroy_);
      next->destroy_(next);
    }
    destruction_draining::set(false);
  }
  struct destruction_draining_tag;
  struct destruction_queue_head_tag;
  using destruction_draining = sync::thread_local_value<destruction_draining_tag, bool>;
  using destruction_queue_head = sync::thread_local_value<destruction_queue_head_tag, task_core*>;

  task_state state_;
  destroy_function destroy_;
  task_core* next_to_destroy_ = nullptr;  // link in this thread's destruction queue
  error_list errors_;  // faulted: at least one; canceled: none or its task_canceled
  bool canceled_ = false;
  bool inline_claimable_ = false;  // see claim_and_run_inline()
  // Recorded by diagnostics (set once, at creation, before the task is shared): its destruction
  // must be recorded too. In the padding before the offset: no size cost.
  bool tracked_ = false;
  // Where this task's queued work item lies relative to this object (0: it has none). An
  // offset, not a pointer, so that it fits in the padding after canceled_ (no size cost).
  std::int32_t queued_item_offset_ = 0;
};

// The typed part: where a task<T>'s value lives.
template <class T>
class task_core_of : public task_core {
 public:
  using task_core::task_core;

  template <class... Args>
  void set_value(Args&&... args) {
    value_.emplace(std::forward<Args>(args)...);
  }
  [[nodiscard]] const T& value() const noexcept { return *value_; }
  // For `co_await std::move(task)` of a move-only result: the awaiter owns it from now on.
  [[nodiscard]] T take_value() { return std::move(*value_); }

 protected:
  ~task_core_of() = default;

 private:
  std::optional<T> value_;
};

template <>
class task_core_of<void> : public task_core {
 public:
  using task_core::task_core;
  void set_value() noexcept {}
  void value() const noexcept {}

 protected:
  ~task_core_of() = default;
};

// Copies a completed task's outcome into a task being completed by the caller, who has
// reserved its completion (unwrap, and continuations that forward an outcome). The source's
// exceptions count as observed: they now travel with the destination.
template <class T>
void copy_outcome(task_core_of<T>& from, task_core_of<T>& to) {
  switch (from.state().status()) {
    case task_status::ran_to_completion:
      if constexpr (std::is_void_v<T>) {
        to.set_value();
      } else {
        to.set_value(from.value());
      }
      break;
    case task_status::faulted:
      from.state().mark_exception_observed();
      to.copy_errors(from.errors());
      break;
    default:
      to.set_canceled_outcome(from.cancellation());
      break;
  }
}

}  // namespace tpl::detail
