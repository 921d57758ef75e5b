/// \file
/// tpl::delay — .NET's Task.Delay: a task that completes after a duration, on a pool thread
/// (the reactor's poller, an idle pool worker, only hands the completion over:
/// detail/timer_service.hpp). With a token it
/// ends canceled as soon as the token is canceled (at once if it already is), and the timer is
/// disarmed.
///
/// Durations follow .NET's Task.Delay(TimeSpan): -1 ms (Timeout.InfiniteTimeSpan) never elapses
/// (the task completes only by the token's cancellation; no timer is armed); any other negative
/// duration, and NaN, throw std::invalid_argument (.NET: ArgumentOutOfRangeException). A zero
/// duration gives a completed task, as in .NET.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/timeout_argument.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {

// Shared by the timer's callback (which owns it until it fires or is disarmed) and the token
// registration (which only points to it: the state owns the registration, so no cycle).
struct delay_state {
  task_completion_source<> source;
  timer_service::timer_id timer = 0;
  cancellation_registration on_cancel;

  delay_state() = default;
  delay_state(const delay_state&) = delete;
  delay_state& operator=(const delay_state&) = delete;
  // A delay whose timer was dropped without firing (the process exits and the timer service
  // drops what is pending, or the service had already stopped) ends canceled, never faulted: the
  // user's code did nothing wrong, so no unobserved exception may be reported (issue 28), and
  // its awaiters still resume (no task waits on a timer at exit).
  ~delay_state() {
    try {
      if (!source.task().is_completed()) (void)source.try_set_canceled();
    } catch (...) {
      // A forsaken (empty) source: nothing to end. No memory: the source's destructor ends the
      // task as before.
    }
  }
};

// An infinite delay (-1 ms): no timer; only the token can complete it. Its source lives in the
// token's registration callback, owned by the token's state until the callback runs or the
// state dies (no registration handle is kept: there is nothing to unregister it on). A state
// that dies uncanceled leaves the task pending for ever, as .NET's does, not broken.
struct infinite_delay_state {
  task_completion_source<> source;
  infinite_delay_state() = default;
  infinite_delay_state(const infinite_delay_state&) = delete;
  infinite_delay_state& operator=(const infinite_delay_state&) = delete;
  ~infinite_delay_state() { source.forsake(); }
};

inline task<> delay_until_canceled(const cancellation_token& token) {
  auto state = std::make_shared<infinite_delay_state>();
  task<> result = state->source.task();
  if (!token.can_be_canceled()) return result;  // never completes; the state goes now
  // The raw state, not the token: a token captured in a callback its own state owns would be
  // a reference cycle. While the callback runs, cancel() holds a reference.
  cancellation_state* raw = token.state().get();
  (void)raw->register_callback([state, raw] {
    raw->add_reference();
    state->source.try_set_canceled(cancellation_token(cancellation_state_ref(raw)));
  });
  return result;
}

}  // namespace detail
/// \endcond

template <class Rep, class Period>
[[nodiscard]] task<> delay(std::chrono::duration<Rep, Period> duration, const cancellation_token& token = {}) {
  const bool never = detail::is_infinite_timeout(duration, "tpl::delay");
  if (token.is_cancellation_requested()) return task<>::from_canceled(token);
  if (!never && duration == std::chrono::duration<Rep, Period>::zero()) return completed_task();
  if (never) return detail::delay_until_canceled(token);
  auto state = std::make_shared<detail::delay_state>();
  task<> result = state->source.task();
  const auto due = detail::saturating_deadline(duration);
  try {
    state->timer = detail::timer_service::instance().schedule(due, [state] { state->source.try_set_result(); });
  } catch (...) {
    // The caller gets the exception and never sees the task: give the source up quietly
    // rather than fault the task with broken_promise, which no one could observe.
    state->source.forsake();
    throw;
  }
  if (token.can_be_canceled()) {
    // Registered after the timer id is stored: the callback may run at once, here.
    detail::delay_state* raw = state.get();
    state->on_cancel = token.register_callback([raw, token] {
      // Read before completing: completing may run code that frees the state (an awaiter that
      // waits, on this pool thread, on the timer's own item).
      const detail::timer_service::timer_id timer = raw->timer;
      raw->source.try_set_canceled(token);
      // Disarming destroys the timer's callback, which may own the last reference to the
      // state (and so to this registration: destroying it from inside its callback does not wait).
      detail::timer_service::instance().cancel(timer);
    });
  }
  return result;
}

}  // namespace tpl
