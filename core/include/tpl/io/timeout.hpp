/// \file
/// tpl::io::with_timeout — a timeout for one operation, in one line:
///
/// ~~~text
///   auto deadline = tpl::io::with_timeout(token, 500ms);
///   co_await connection.read(buffer, deadline.token());
/// ~~~
///
/// A cancellation source linked to `token` that also cancels itself after `timeout` (.NET's
/// CreateLinkedTokenSource + CancelAfter). Keep it alive for as long as the operation runs; its
/// destructor stops the timer. An operation it cancels ends canceled (tpl::operation_canceled);
/// is_cancellation_requested() on the outer token tells a caller's cancel from the timeout.
#pragma once

#include <chrono>

#include "tpl/cancellation_token.hpp"
#include "tpl/cancellation_token_source.hpp"

namespace tpl::io {

template <class Rep, class Period>
[[nodiscard]] cancellation_token_source with_timeout(const cancellation_token& token,
                                                     std::chrono::duration<Rep, Period> timeout) {
  cancellation_token_source linked = cancellation_token_source::create_linked(token);
  linked.cancel_after(timeout);
  return linked;
}

}  // namespace tpl::io
