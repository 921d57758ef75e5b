/// \file
/// Between tpl's cancellation and C++20's std::stop_token / std::stop_source.
///
/// ~~~text
///   linked_source(std::stop_token)  a cancellation_token_source canceled when the stop_token
///                                   is stopped (at once if it already is)
///   stop_source_link(token)         owns a std::stop_source that is stopped when `token` is
///                                   canceled; get_token() gives std::stop_tokens for it
/// ~~~
///
/// What maps: request_stop() <-> cancel(); stop_requested() <-> is_cancellation_requested();
/// stop_possible() <-> can_be_canceled(); std::stop_callback <-> register_callback + RAII
/// registration (both run the callback inline when already stopped/canceled, and both wait in
/// the destructor for a callback running on another thread).
/// What does not: a std::stop_callback must not throw (std::terminate), tpl callbacks may
/// (cancel() rethrows them aggregated); std::stop_source runs callbacks in no specified
/// order, tpl newest first; std has no unregister() that reports whether the callback ran, no
/// cancel_after, and no linked sources; a std::stop_token cannot be made to observe a source
/// after the fact, hence the two owning adapters above (their lifetime bounds the link).
#pragma once

#include <memory>
#include <stop_token>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace tpl {

/// A source canceled when `stop` is stopped.
[[nodiscard]] inline cancellation_token_source linked_source(const std::stop_token& stop) {
  cancellation_token_source linked;
  if (!stop.stop_possible()) return linked;
  struct canceler {
    cancellation_token token;
    void operator()() const {
      // Runs inside request_stop(); a std::stop_callback must not throw, so a tpl callback's
      // exception ends here, as an unhandled exception on the stopping thread would.
      // No caller to throw bad_alloc to: cancel even without working memory.
      std::vector<std::exception_ptr> errors = token.state()->cancel(detail::cancellation_state::without_memory::cancel_anyway);
      if (!errors.empty()) std::terminate();
    }
  };
  linked.attach(std::make_shared<std::stop_callback<canceler>>(stop, canceler{linked.token()}));
  return linked;
}

/// Owns a std::stop_source stopped when `token` is canceled (for APIs that take a stop_token).
class stop_source_link {
 public:
  explicit stop_source_link(const cancellation_token& token)
      : registration_(token.register_callback([source = source_]() mutable { source.request_stop(); })) {}

  [[nodiscard]] std::stop_token get_token() const noexcept { return source_.get_token(); }
  [[nodiscard]] std::stop_source& source() noexcept { return source_; }

 private:
  std::stop_source source_;  ///< declared first: the registration's callback copies it
  cancellation_registration registration_;
};

}  // namespace tpl
