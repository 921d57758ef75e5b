// tpl::delay — .NET's Task.Delay: a task that completes after a duration, on a pool thread
// (the timer thread only hands the completion over: detail/timer_service.hpp). With a token it
// ends canceled as soon as the token is canceled (at once if it already is), and the timer is
// disarmed.
//
// Misuse: a negative duration throws std::invalid_argument (.NET: ArgumentOutOfRangeException).
// A zero duration gives a completed task, as in .NET.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/detail/timer_service.hpp"
#include "tpl/task.hpp"
#include "tpl/task_completion_source.hpp"

namespace tpl {

namespace detail {

// Shared by the timer's callback (which owns it until it fires or is disarmed) and the token
// registration (which only points to it: the state owns the registration, so no cycle).
struct delay_state {
  task_completion_source<> source;
  timer_service::timer_id timer = 0;
  cancellation_registration on_cancel;
};

}  // namespace detail

template <class Rep, class Period>
[[nodiscard]] task<> delay(std::chrono::duration<Rep, Period> duration, const cancellation_token& token = {}) {
  if (duration < std::chrono::duration<Rep, Period>::zero()) {
    throw std::invalid_argument("tpl::delay: the duration is negative");
  }
  if (token.is_cancellation_requested()) return task<>::from_canceled(token);
  if (duration == std::chrono::duration<Rep, Period>::zero()) return completed_task();
  auto state = std::make_shared<detail::delay_state>();
  task<> result = state->source.task();
  const auto due = detail::saturating_deadline(duration);
  state->timer = detail::timer_service::instance().schedule(due, [state] { state->source.try_set_result(); });
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
