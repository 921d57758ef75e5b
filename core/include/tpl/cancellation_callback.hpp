/// \file
/// `tpl::cancellation_callback<Callback>` — std::stop_callback's shape over a cancellation_token,
/// and the token's `callback_type` (so cancellation_token models tpl::stoppable_token): it
/// holds the callback and keeps it registered for as long as it lives. Like std::stop_callback
/// it runs the callback inline if the token is already canceled, cannot be copied or moved (the
/// registration points at it), and its destructor waits for the callback if it is running on
/// another thread. Unlike it, a callback may throw: cancel() rethrows it (aggregated), and a
/// callback run inline at construction throws out of the constructor.
#pragma once

#include <concepts>
#include <functional>
#include <utility>

#include "tpl/cancellation_token.hpp"

namespace tpl {

template <class Callback>
class cancellation_callback {
  static_assert(std::invocable<Callback> && std::destructible<Callback>,
                "cancellation_callback: the callback must be callable with no arguments");

 public:
  using callback_type = Callback;

  template <class Initializer>
    requires std::constructible_from<Callback, Initializer>
  explicit cancellation_callback(const cancellation_token& token, Initializer&& initializer)
      : callback_(std::forward<Initializer>(initializer)),
        registration_(token.register_callback([this] { std::invoke(std::move(callback_)); })) {}

  cancellation_callback(const cancellation_callback&) = delete;
  cancellation_callback& operator=(const cancellation_callback&) = delete;
  ~cancellation_callback() = default;  // registration_ first: it unregisters (or waits) before callback_ goes

 private:
  Callback callback_;  ///< declared first: destroyed after the registration that calls it
  cancellation_registration registration_;
};

template <class Callback>
cancellation_callback(cancellation_token, Callback) -> cancellation_callback<Callback>;

}  // namespace tpl
