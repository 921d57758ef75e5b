/// \file
/// tpl::cancellation_registration — .NET's CancellationTokenRegistration: what
/// cancellation_token::register_callback returns (cancellation_token.hpp has the rules).
///
/// RAII: the destructor unregisters, and if the callback is running on another thread it waits
/// for it to finish (.NET's Dispose); from inside the callback itself it does not wait.
/// unregister() never waits and returns whether the callback was removed before it ran (.NET's
/// Unregister).
#pragma once

#include <utility>

#include "tpl/detail/cancellation_state.hpp"
#include "tpl/detail/cancellation_state_ref.hpp"

namespace tpl {

class cancellation_registration {
 public:
  cancellation_registration() noexcept = default;
  cancellation_registration(const cancellation_registration&) = delete;
  cancellation_registration& operator=(const cancellation_registration&) = delete;
  cancellation_registration(cancellation_registration&& other) noexcept
      : state_(std::move(other.state_)), ticket_(std::exchange(other.ticket_, {})) {}
  cancellation_registration& operator=(cancellation_registration&& other) noexcept {
    if (this != &other) {
      dispose();
      state_ = std::move(other.state_);
      ticket_ = std::exchange(other.ticket_, {});
    }
    return *this;
  }
  /// Unregisters; if the callback is running on another thread, waits for it to finish.
  ~cancellation_registration() { dispose(); }

  /// true: the callback was removed before it started and will never run. false: it ran, is
  /// running, or there was nothing registered. Never waits.
  bool unregister() {
    if (state_.get() == nullptr) return false;
    // Locals: destroying the callback may destroy this registration (a callback that owns it).
    const detail::cancellation_state_ref state = state_;
    return state->unregister(ticket_);
  }

  /// \cond TPL_INTERNALS
  cancellation_registration(detail::cancellation_state_ref state, detail::registration_ticket ticket) noexcept
      : state_(std::move(state)), ticket_(ticket) {}
  /// \endcond

 private:
  void dispose() noexcept {
    if (state_.get() == nullptr) return;
    // Taken out first: destroying the callback may destroy this registration's owner.
    const detail::cancellation_state_ref state = std::move(state_);
    const detail::registration_ticket ticket = std::exchange(ticket_, {});
    if (!state->unregister(ticket)) state->wait_for_callback(ticket);
  }

  detail::cancellation_state_ref state_;  ///< keeps the node's memory alive
  detail::registration_ticket ticket_;
};

}  // namespace tpl
