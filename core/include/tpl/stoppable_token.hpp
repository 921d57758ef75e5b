/// \file
/// tpl::stoppable_token — the standard's concept for stop tokens ([stoptoken.concepts], C++26,
/// from P2300), restated because C++20's library (libstdc++ 12, libc++ 19) does not ship it.
/// tpl::cancellation_token models it, as C++26's std::stop_token does (C++20's lacks only the
/// `callback_type` alias), so code written against the concept takes either: stop_requested(),
/// stop_possible(), and a `callback_type<Callback>` that keeps a callback registered while it
/// lives.
#pragma once

#include <concepts>

namespace tpl {

/// \cond TPL_INTERNALS
namespace detail {
template <template <class> class>
struct callback_type_template_exists {};
}  // namespace detail
/// \endcond

template <class Token>
concept stoppable_token = requires(const Token token) {
  typename detail::callback_type_template_exists<Token::template callback_type>;
  { token.stop_requested() } noexcept -> std::same_as<bool>;
  { token.stop_possible() } noexcept -> std::same_as<bool>;
  { Token(token) } noexcept;
} && std::copyable<Token> && std::equality_comparable<Token> && std::swappable<Token>;

}  // namespace tpl
