/// \file
/// `tpl::task_completion_source<T>` — .NET's `TaskCompletionSource<TResult>`: a task that code
/// completes by hand (a callback, another thread, an event loop).
///
/// Exactly one completion wins, whatever the race: set_result / set_exception / set_canceled
/// throw invalid_operation when the task is already completed, and the try_* forms return false
/// instead. With task_creation_options::run_continuations_asynchronously the completing call
/// only publishes the outcome and queues the continuations (awaiting coroutines included) to the
/// pool, instead of running them before it returns.
///
/// Differences from .NET: the source is move-only (one owner, like std::promise; share a
/// pointer to it if several completers need it). Destroying a source that never completed its
/// task faults the task with tpl::broken_promise, so its awaiters are told instead of waiting
/// for ever.
#pragma once

#include <exception>
#include <source_location>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/make_task_canceled.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/detail/task_scheduling.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/task.hpp"

namespace tpl {

enum class task_creation_options : unsigned {
  none = 0,
  run_continuations_asynchronously = 1,
};

/// \cond TPL_INTERNALS
namespace detail {

template <class T>
class source_task_core final : public task_core_of<T>, public work_item {
 public:
  explicit source_task_core(bool continuations_asynchronously)
      // Two references: the source's and the first task handle's.
      : task_core_of<T>(task_status::waiting_for_activation, 2, &destroy),
        work_item{&source_task_core::run_queued_continuations},
        continuations_asynchronously_(continuations_asynchronously) {}

  // Second half of a completion whose reservation this thread won.
  void finish() {
    if (!continuations_asynchronously_) {
      this->state().complete(this->outcome_status());
      return;
    }
    this->state().publish(this->outcome_status());
    this->add_reference();  // for the queued item
    queue_to_ambient_pool(this);
  }

 private:
  static void run_queued_continuations(work_item* self, bool) {
    auto* me = static_cast<source_task_core*>(self);
    me->state().run_continuations();
    me->release();
  }
  static void destroy(task_core* core) noexcept { delete static_cast<source_task_core*>(core); }

  bool continuations_asynchronously_;
};

}  // namespace detail
/// \endcond

template <class T = void>
class task_completion_source {
 public:
  /// `where` is recorded by diagnostics (`<tpl/diagnostics.hpp>`) as the task's creation site.
  explicit task_completion_source(task_creation_options options = task_creation_options::none,
                                  const std::source_location& where = std::source_location::current())
      : core_(new detail::source_task_core<T>(options == task_creation_options::run_continuations_asynchronously)),
        task_(detail::adopt_reference, core_) {
    detail::diagnostics_hooks::task_created(*core_, diagnostics::task_origin::completion_source, where);
  }

  task_completion_source(const task_completion_source&) = delete;
  task_completion_source& operator=(const task_completion_source&) = delete;
  task_completion_source(task_completion_source&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), task_(std::move(other.task_)) {}
  task_completion_source& operator=(task_completion_source&& other) noexcept {
    if (this != &other) {
      abandon();
      core_ = std::exchange(other.core_, nullptr);
      task_ = std::move(other.task_);
    }
    return *this;
  }
  ~task_completion_source() { abandon(); }

  /// \cond TPL_INTERNALS
  // Gives the source up without completing its task, which then never completes (where nothing
  // could ever complete it: delay(-1 ms) on a token that dies uncanceled). The destructor would
  // fault it with broken_promise instead. A completed task is left as it is.
  void forsake() noexcept {
    if (core_ == nullptr) return;
    (void)core_->state().try_reserve_completion();  // reserved and never finished: pending for ever
    core_->release();
    core_ = nullptr;
  }
  /// \endcond

  /// The task this source completes (.NET's Task property).
  [[nodiscard]] tpl::task<T> task() const {
    checked("task");
    return task_;
  }

  // --- result ---
  template <class... Args>
  void set_result(Args&&... args) {
    if (!try_set_result(std::forward<Args>(args)...)) already_completed("set_result");
  }
  template <class... Args>
  bool try_set_result(Args&&... args) {
    detail::source_task_core<T>& core = checked("try_set_result");
    // Build the value before the race: a constructor that throws leaves the task untouched.
    if constexpr (std::is_void_v<T>) {
      static_assert(sizeof...(Args) == 0, "task_completion_source<void>::set_result takes no value");
      if (!core.state().try_reserve_completion()) return false;
    } else {
      T value(std::forward<Args>(args)...);
      if (!core.state().try_reserve_completion()) return false;
      try {
        core.set_value(std::move(value));
      } catch (...) {
        // Reserved: the task must still end. Fault it with what the move threw, and rethrow.
        fault_reserved(core, std::current_exception());
        throw;
      }
    }
    core.finish();
    return true;
  }

  // --- exception(s) ---
  void set_exception(std::exception_ptr error) {
    if (!try_set_exception(std::move(error))) already_completed("set_exception");
  }
  bool try_set_exception(std::exception_ptr error) {
    if (error == nullptr) throw std::invalid_argument("tpl::task_completion_source::set_exception: the exception_ptr is null");
    std::vector<std::exception_ptr> errors{std::move(error)};
    return try_set_exceptions_checked(std::move(errors));
  }
  void set_exception(std::vector<std::exception_ptr> errors) {
    if (!try_set_exception(std::move(errors))) already_completed("set_exception");
  }
  bool try_set_exception(std::vector<std::exception_ptr> errors) {
    if (errors.empty()) throw std::invalid_argument("tpl::task_completion_source::set_exception: no exceptions given");
    for (const std::exception_ptr& each : errors) {
      if (each == nullptr) throw std::invalid_argument("tpl::task_completion_source::set_exception: an exception_ptr is null");
    }
    return try_set_exceptions_checked(std::move(errors));
  }

  // --- cancellation ---
  /// `token`: the token whose cancellation this reports; awaiters get a task_canceled carrying it.
  void set_canceled(const cancellation_token& token = {}) {
    if (!try_set_canceled(token)) already_completed("set_canceled");
  }
  bool try_set_canceled(const cancellation_token& token = {}) {
    detail::source_task_core<T>& core = checked("try_set_canceled");
    // Before the race. Without memory for it the task still ends canceled (a plain task_canceled
    // is made when an awaiter needs one): a cancellation callback that completes a source, such
    // as delay()'s, must not strand the task for want of a few bytes (issue 10).
    std::exception_ptr cancellation = detail::make_task_canceled(token);
    if (!core.state().try_reserve_completion()) return false;
    core.set_canceled_outcome(std::move(cancellation));
    core.finish();
    return true;
  }

 private:
  bool try_set_exceptions_checked(std::vector<std::exception_ptr> errors) {
    detail::source_task_core<T>& core = checked("try_set_exception");
    if (!core.state().try_reserve_completion()) return false;
    core.set_errors(std::move(errors));  // a move: cannot throw
    core.finish();
    return true;
  }

  detail::source_task_core<T>& checked(const char* operation) const {
    if (core_ == nullptr) {
      throw invalid_operation(std::string("tpl::task_completion_source::") + operation +
                              ": the source is empty (moved-from)");
    }
    return *core_;
  }
  [[noreturn]] static void already_completed(const char* operation) {
    throw invalid_operation(std::string("tpl::task_completion_source::") + operation +
                            ": the task was already completed");
  }

  /// Ends a task whose completion this thread reserved with `error` (canceled, without
  /// allocating, if even that fails): a reserved task must never stay incomplete.
  static void fault_reserved(detail::source_task_core<T>& core, std::exception_ptr error) noexcept {
    try {
      core.add_error(std::move(error));
    } catch (...) {
      core.set_canceled_outcome();
    }
    core.finish();
  }

  void abandon() noexcept {
    if (core_ == nullptr) return;
    if (core_->state().try_reserve_completion()) {
      std::exception_ptr error;
      try {
        error = std::make_exception_ptr(broken_promise());
      } catch (...) {
        error = std::current_exception();
      }
      fault_reserved(*core_, std::move(error));
    }
    core_->release();
    core_ = nullptr;
  }

  detail::source_task_core<T>* core_;
  tpl::task<T> task_;  ///< the first handle, handed out by task()
};

}  // namespace tpl
