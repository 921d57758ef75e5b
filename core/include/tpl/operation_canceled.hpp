// tpl::operation_canceled — .NET's OperationCanceledException: an operation stopped because
// cancellation was requested. It carries the token whose cancellation it reports
// (cancellation_token::none() when thrown without one).
//
// A coroutine task whose body throws it ends canceled, not faulted (as a .NET async method);
// a run(fn, token) task whose fn throws it for `token`, while `token` is canceled, ends canceled.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "tpl/cancellation_token.hpp"

namespace tpl {

class operation_canceled : public std::runtime_error {
 public:
  explicit operation_canceled(cancellation_token token = {})
      : operation_canceled("tpl::operation_canceled: the operation was canceled", std::move(token)) {}
  explicit operation_canceled(const std::string& what, cancellation_token token = {})
      : std::runtime_error(what), token_(std::move(token)) {}

  [[nodiscard]] const cancellation_token& token() const noexcept { return token_; }

 private:
  cancellation_token token_;
};

inline void cancellation_token::throw_if_cancellation_requested() const {
  if (is_cancellation_requested()) throw operation_canceled(*this);
}

}  // namespace tpl
