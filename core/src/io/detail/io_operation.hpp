// The pieces every operation (read, write, accept, connect) is made of: a usable descriptor,
// the claim on its direction, a pinned system call, and what a wait's end means.
#pragma once

#include <cerrno>
#include <memory>
#include <system_error>

#include "detail/io_descriptor.hpp"
#include "detail/readiness_awaiter.hpp"
#include "tpl/cancellation_token.hpp"
#include "tpl/exceptions.hpp"

namespace tpl::io::detail {

// The descriptor an operation keeps alive for its whole run; EBADF if the handle is empty or
// was closed.
inline std::shared_ptr<io_descriptor> usable(const std::shared_ptr<io_descriptor>& descriptor, const char* what) {
  if (descriptor == nullptr || descriptor->close_was_asked()) {
    throw std::system_error(EBADF, std::system_category(), std::string(what) + ": the stream is closed");
  }
  return descriptor;
}

enum class direction { read, write };

// At most one pending operation per direction (stream.hpp); released when the operation ends.
class direction_claim {
 public:
  direction_claim(io_descriptor& descriptor, direction which, const char* what) : descriptor_(descriptor), which_(which) {
    const bool claimed = which == direction::read ? descriptor.try_start_read() : descriptor.try_start_write();
    if (!claimed) {
      throw invalid_operation(std::string(what) + ": another " + (which == direction::read ? "read" : "write") +
                              " is already pending on this stream (one of each at a time)");
    }
  }
  direction_claim(const direction_claim&) = delete;
  direction_claim& operator=(const direction_claim&) = delete;
  ~direction_claim() {
    if (which_ == direction::read) {
      descriptor_.finish_read();
    } else {
      descriptor_.finish_write();
    }
  }

 private:
  io_descriptor& descriptor_;
  direction which_;
};

// Pins the descriptor number for one system call (descriptor_lifetime); EBADF once closed.
class pinned_call {
 public:
  pinned_call(const std::shared_ptr<io_descriptor>& descriptor, const char* what) : descriptor_(descriptor.get()) {
    if (descriptor_ == nullptr || !descriptor_->begin_call()) {
      throw std::system_error(EBADF, std::system_category(), std::string(what) + ": the stream is closed");
    }
  }
  pinned_call(const pinned_call&) = delete;
  pinned_call& operator=(const pinned_call&) = delete;
  ~pinned_call() {
    const int saved = errno;  // the call's errno survives the unpinning
    descriptor_->end_call();
    errno = saved;
  }
  [[nodiscard]] int number() const noexcept { return descriptor_->number(); }

 private:
  io_descriptor* descriptor_;
};

// After a wait: go round again if readiness ended it; throw for a cancel or a close.
inline void check_wake(tpl::detail::io_wake_reason reason, const cancellation_token& token, const char* what) {
  switch (reason) {
    case tpl::detail::io_wake_reason::ready:
      return;
    case tpl::detail::io_wake_reason::canceled:
      throw operation_canceled(std::string(what) + ": the operation was canceled", token);
    case tpl::detail::io_wake_reason::closed:
      throw std::system_error(ECANCELED, std::system_category(), std::string(what) + ": the stream was closed");
    case tpl::detail::io_wake_reason::pool_shut_down:
      throw operation_canceled(std::string(what) + ": the pool it would resume on was shut down", token);
  }
}

}  // namespace tpl::io::detail
