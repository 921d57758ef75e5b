/// \file
/// tpl::cancellation_token_source — .NET's CancellationTokenSource: the side that cancels.
///
/// ~~~text
///   token()                 tokens that observe this source
///   cancel()                requests cancellation and runs the registered callbacks on this
///                           thread, newest first; if any threw, throws them all as one
///                           aggregate_exception after all have run. A second cancel() returns
///                           at once (the callbacks ran, or are running on the first caller).
///   cancel_after(delay)     cancels when `delay` has passed, on a pool thread (the reactor's
///                           poller only hands it over); a new call replaces the previous deadline,
///                           and -1 ms (.NET's Timeout.InfiniteTimeSpan) removes it.
///                           Exceptions from callbacks then go to the pool's unhandled-exception
///                           handler, as they crash the process in .NET.
///   create_linked(t...)     a new source that is canceled when any of the tokens is (at once if
///                           one already is). Also from a std::stop_token (stop_token_interop.hpp).
/// ~~~
///
/// Destruction releases everything the source holds: its pending cancel_after timer, and its
/// registrations on the tokens it is linked to (waiting for a link callback that is running).
/// Tokens and registrations keep the shared state alive; they never see a cancellation that
/// did not happen before, except from a cancel_after expiry already handed to the pool when the
/// source was destroyed. Differences from .NET: move-only (one owner; .NET's is a shared
/// reference), and no Dispose() separate from destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <stdexcept>
#include <utility>
#include <vector>

#include "tpl/exceptions.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/detail/cancellation_state.hpp"
#include "tpl/sync/sync.hpp"

#include "tpl/detail/timeout_argument.hpp"
#include "tpl/detail/timer_service.hpp"

namespace tpl {

class cancellation_token_source {
 public:
  cancellation_token_source() : state_(new detail::cancellation_state()) {}
  /// .NET's CancellationTokenSource(TimeSpan): cancel_after(delay) at construction, except that
  /// a zero delay returns a source already canceled (as .NET's does).
  template <class Rep, class Period>
  explicit cancellation_token_source(std::chrono::duration<Rep, Period> delay) : cancellation_token_source() {
    if (delay == std::chrono::duration<Rep, Period>::zero()) {
      (void)state_->cancel();  // nothing is registered yet: no callback runs, none can throw
    } else {
      cancel_after(delay);
    }
  }

  cancellation_token_source(const cancellation_token_source&) = delete;
  cancellation_token_source& operator=(const cancellation_token_source&) = delete;
  cancellation_token_source(cancellation_token_source&& other) noexcept
      : state_(std::move(other.state_)),
        links_(std::move(other.links_)),
        attachments_(std::move(other.attachments_)),
        timer_(other.take_timer()) {}
  cancellation_token_source& operator=(cancellation_token_source&& other) noexcept {
    if (this != &other) {
      release_resources();
      state_ = std::move(other.state_);
      links_ = std::move(other.links_);
      attachments_ = std::move(other.attachments_);
      // relaxed: the object is being moved into; no other thread may use it meanwhile.
      timer_.store(other.take_timer(), std::memory_order_relaxed);
    }
    return *this;
  }
  ~cancellation_token_source() { release_resources(); }

  [[nodiscard]] cancellation_token token() const { return cancellation_token(checked("token")); }
  [[nodiscard]] bool is_cancellation_requested() const { return checked("is_cancellation_requested")->is_cancellation_requested(); }

  void cancel() {
    // A local reference: a callback may destroy this source (and every other owner of the state).
    const detail::cancellation_state_ref state = checked("cancel");
    std::vector<std::exception_ptr> errors = state->cancel();
    if (!errors.empty()) throw aggregate_exception(std::move(errors));
  }

  /// -1 ms (.NET's Timeout.InfiniteTimeSpan) disarms a pending deadline; any other negative
  /// delay, and NaN, throw std::invalid_argument (.NET throws ArgumentOutOfRangeException).
  /// Zero cancels on a pool thread as soon as the reactor's poller sees it.
  template <class Rep, class Period>
  void cancel_after(std::chrono::duration<Rep, Period> delay) {
    const bool never = detail::is_infinite_timeout(delay, "tpl::cancellation_token_source::cancel_after");
    detail::cancellation_state_ref state = checked("cancel_after");
    if (state->is_cancellation_requested()) return;  // .NET: no effect once canceled
    if (never) {
      if (const std::uint64_t disarmed = take_timer(); disarmed != 0) detail::timer_service::instance().cancel(disarmed);
      return;
    }
    const auto due = detail::saturating_deadline(delay);
    const detail::timer_service::timer_id fresh = detail::timer_service::instance().schedule(due, [state] {
      // No caller to throw bad_alloc to, and no retry: cancel even without working memory.
      std::vector<std::exception_ptr> errors = state->cancel(detail::cancellation_state::without_memory::cancel_anyway);
      if (!errors.empty()) throw aggregate_exception(std::move(errors));
    });
    // relaxed: only the exchange's atomicity matters: each armed id is taken by exactly one
    // exchange, whose caller disarms it (of two racing calls, one deadline stays armed). No
    // other data travels with the id; the timer service's mutex orders the rest.
    const detail::timer_service::timer_id replaced = timer_.exchange(fresh, std::memory_order_relaxed);
    if (replaced != 0) detail::timer_service::instance().cancel(replaced);
  }

  /// A source canceled when any of `tokens` is. Tokens that cannot be canceled are ignored.
  [[nodiscard]] static cancellation_token_source create_linked(std::initializer_list<cancellation_token> tokens) {
    return create_linked(std::span<const cancellation_token>(tokens.begin(), tokens.size()));
  }
  /// The same for a number of tokens known only at run time (.NET's CancellationToken[] overload).
  [[nodiscard]] static cancellation_token_source create_linked(std::span<const cancellation_token> tokens) {
    cancellation_token_source linked;
    for (const cancellation_token& parent : tokens) linked.link_to(parent);
    return linked;
  }
  template <class... Tokens>
  [[nodiscard]] static cancellation_token_source create_linked(const cancellation_token& first, const Tokens&... rest) {
    return create_linked({first, rest...});
  }

  /// \cond TPL_INTERNALS
  // The shared state, for code that must outlive this object and cancel it later (when_all's
  // fail-fast form).
  [[nodiscard]] detail::cancellation_state_ref shared_state() const { return checked("shared_state"); }

  // Keeps `resource` alive as long as this source (the std::stop_callback of a source linked
  // to a std::stop_token).
  void attach(std::shared_ptr<void> resource) { attachments_.push_back(std::move(resource)); }
  /// \endcond

 private:
  void link_to(const cancellation_token& parent) {
    if (!parent.can_be_canceled()) return;
    detail::cancellation_state_ref child = state_;
    links_.push_back(parent.register_callback([child] {
      // The parent is canceled already and will not retry: cancel even without working memory.
      std::vector<std::exception_ptr> errors = child->cancel(detail::cancellation_state::without_memory::cancel_anyway);
      if (!errors.empty()) throw aggregate_exception(std::move(errors));  // joins the parent's aggregate
    }));
  }

  const detail::cancellation_state_ref& checked(const char* operation) const {
    if (state_.get() == nullptr) {
      throw invalid_operation(std::string("tpl::cancellation_token_source::") + operation +
                              ": the source is empty (moved-from)");
    }
    return state_;
  }

  std::uint64_t take_timer() noexcept {
    // relaxed: as in cancel_after(): whoever takes the id by exchange disarms it.
    return timer_.exchange(0, std::memory_order_relaxed);
  }

  void release_resources() noexcept {
    if (const std::uint64_t timer = take_timer(); timer != 0) detail::timer_service::instance().cancel(timer);
    links_.clear();        // unregisters from the parents, waiting for a running link callback
    attachments_.clear();  // e.g. a std::stop_callback, whose destructor waits likewise
    state_ = detail::cancellation_state_ref();
  }

  detail::cancellation_state_ref state_;
  std::vector<cancellation_registration> links_;
  std::vector<std::shared_ptr<void>> attachments_;
  sync::atomic<std::uint64_t> timer_{0};  ///< the armed cancel_after timer (0: none)
};

}  // namespace tpl
