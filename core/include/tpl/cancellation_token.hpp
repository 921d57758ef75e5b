/// \file
/// tpl::cancellation_token — .NET's CancellationToken (its registration, .NET's
/// CancellationTokenRegistration, is in cancellation_registration.hpp).
///
/// A token is a cheap, copyable handle to a source's shared state (or to nothing:
/// cancellation_token::none(), which can never be canceled). Code that can be canceled polls
/// is_cancellation_requested() / throw_if_cancellation_requested(), or registers a callback.
///
/// Callbacks: run exactly once, on the thread that calls cancel(), newest registration first; a
/// callback registered after cancellation runs at once, on the registering thread (its exception
/// then propagates from register_callback). The registration is RAII: its destructor
/// unregisters, and if the callback is running on another thread it waits for it to finish
/// (.NET's Dispose); from inside the callback itself it does not wait. unregister() never waits
/// and returns whether the callback was removed before it ran (.NET's Unregister).
///
/// The protocol is lock-free (detail/cancellation_state.hpp, modelled in
/// models/model_cancellation.cpp).
#pragma once

#include <concepts>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "tpl/cancellation_registration.hpp"
#include "tpl/detail/callable_checks.hpp"
#include "tpl/detail/cancellation_state.hpp"
#include "tpl/detail/cancellation_state_ref.hpp"

namespace tpl {

template <class Callback>
class cancellation_callback;

class cancellation_token {
 public:
  /// The token that is never canceled (.NET's CancellationToken.None / default).
  cancellation_token() noexcept = default;
  [[nodiscard]] static cancellation_token none() noexcept { return {}; }

  [[nodiscard]] bool is_cancellation_requested() const noexcept {
    return state_.get() != nullptr && state_->is_cancellation_requested();
  }
  /// false only for none(): a token with a source can be canceled (even once it was).
  [[nodiscard]] bool can_be_canceled() const noexcept { return state_.get() != nullptr; }

  /// The standard's stop-token names (tpl::stoppable_token, stoppable_token.hpp), so code written
  /// for std::stop_token-like tokens takes a cancellation_token.
  [[nodiscard]] bool stop_requested() const noexcept { return is_cancellation_requested(); }
  [[nodiscard]] bool stop_possible() const noexcept { return can_be_canceled(); }
  template <class Callback>
  using callback_type = cancellation_callback<Callback>;

  /// Throws tpl::operation_canceled carrying this token if cancellation was requested
  /// (defined in exceptions.hpp, which this header includes at its end).
  void throw_if_cancellation_requested() const;

  /// Registers `callback` (callable with no arguments). See the header comment for when it runs.
  /// Throws std::invalid_argument for a null callable. On none() nothing is registered.
  template <class Callback>
    requires std::invocable<std::decay_t<Callback>&>
  [[nodiscard]] cancellation_registration register_callback(Callback&& callback) const;

  friend bool operator==(const cancellation_token& left, const cancellation_token& right) noexcept {
    return left.state_.get() == right.state_.get();
  }

  /// \cond TPL_INTERNALS
  // A token sharing `state`, and the state itself: for tpl's own machinery.
  explicit cancellation_token(detail::cancellation_state_ref state) noexcept : state_(std::move(state)) {}
  [[nodiscard]] const detail::cancellation_state_ref& state() const noexcept { return state_; }
  /// \endcond

 private:
  detail::cancellation_state_ref state_;
};

template <class Callback>
  requires std::invocable<std::decay_t<Callback>&>
cancellation_registration cancellation_token::register_callback(Callback&& callback) const {
  detail::reject_null_callable(callback, "tpl::cancellation_token::register_callback");
  if (state_.get() == nullptr) return {};
  detail::registration_ticket ticket = state_->register_callback(std::function<void()>(std::forward<Callback>(callback)));
  if (ticket.node == nullptr) return {};  // it already ran
  return cancellation_registration(state_, ticket);
}

}  // namespace tpl

// throw_if_cancellation_requested() is defined with the exception it throws.
#include "tpl/exceptions.hpp"  // IWYU pragma: export
// callback_type's class template.
#include "tpl/cancellation_callback.hpp"  // IWYU pragma: export
