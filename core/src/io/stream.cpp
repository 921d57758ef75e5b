#include "tpl/io/stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "detail/completion_awaiter.hpp"
#include "detail/io_descriptor.hpp"
#include "detail/io_driver.hpp"
#include "detail/io_operation.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/io/end_of_stream.hpp"

namespace tpl::io {

using detail::io_descriptor;

stream::stream(int descriptor) : descriptor_(io_descriptor::adopt(descriptor)) {}
stream::stream(std::shared_ptr<io_descriptor> adopted) noexcept : descriptor_(std::move(adopted)) {}

stream& stream::operator=(stream&& other) noexcept {
  if (this != &other) {
    close();
    descriptor_ = std::move(other.descriptor_);
  }
  return *this;
}

stream::~stream() { close(); }

void stream::close() noexcept {
  // A copy: closing wakes a pending operation, whose coroutine may then destroy this stream
  // (and the last other reference) on a worker while close() is still running here.
  if (std::shared_ptr<io_descriptor> keep = descriptor_) keep->close();
}

bool stream::is_open() const noexcept { return descriptor_ != nullptr && !descriptor_->close_was_asked(); }

int stream::native_handle() const noexcept { return is_open() ? descriptor_->number() : -1; }

void stream::shutdown(shutdown_kind kind) {
  const int how = kind == shutdown_kind::receive ? SHUT_RD : kind == shutdown_kind::send ? SHUT_WR : SHUT_RDWR;
  detail::pinned_call call(descriptor_, "tpl::io::stream::shutdown");
  if (::shutdown(call.number(), how) != 0) {
    throw std::system_error(errno, std::system_category(), "tpl::io::stream::shutdown");
  }
}

namespace {

// One attempt of the call; -1 with errno set on failure.
ssize_t receive_once(const io_descriptor& descriptor, std::span<std::byte> buffer) {
  if (descriptor.is_socket()) return ::recv(descriptor.number(), buffer.data(), buffer.size(), 0);
  return ::read(descriptor.number(), buffer.data(), buffer.size());
}

ssize_t send_once(const io_descriptor& descriptor, std::span<const std::byte> bytes) {
  if (descriptor.is_socket()) return ::send(descriptor.number(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
  return ::write(descriptor.number(), bytes.data(), bytes.size());
}

// One request performed by the kernel (io_uring): its result, bytes >= 0. Throws as the
// readiness path does: operation_canceled for the token or the pool's shutdown, ECANCELED for a
// close, the request's own error otherwise.
tpl::task<std::size_t> perform(detail::io_driver& driver, std::shared_ptr<io_descriptor> descriptor,
                               detail::completion_kind kind, void* buffer, std::size_t size,
                               const cancellation_token& token, const char* what) {
  for (;;) {
    token.throw_if_cancellation_requested();
    const detail::completion_outcome outcome =
        co_await detail::completion_awaiter(driver, *descriptor, kind, buffer, size, token);
    if (outcome.result >= 0) co_return static_cast<std::size_t>(outcome.result);
    const int error = -outcome.result;
    if (error == EINTR || error == EAGAIN) continue;
    if (error == ECANCELED) {
      // No canceller and no close: the kernel ended the request because the thread that
      // submitted it exited (it cancels an exiting thread's requests; pool spares come and go).
      // Nothing was consumed: ask again.
      if (outcome.reason == tpl::detail::io_wake_reason::closed && !descriptor->close_was_asked()) continue;
      detail::check_wake(outcome.reason, token, what);
    }
    throw std::system_error(error, std::system_category(), what);
  }
}

// The read loop, for a caller that holds the read claim.
tpl::task<std::size_t> receive_some(std::shared_ptr<io_descriptor> descriptor, std::span<std::byte> buffer,
                                    const cancellation_token& token, const char* what) {
  if (detail::io_driver& driver = detail::io_driver::instance(); driver.performs_operations()) {
    co_return co_await perform(driver, std::move(descriptor), detail::completion_kind::receive, buffer.data(),
                               buffer.size(), token, what);
  }
  for (;;) {
    token.throw_if_cancellation_requested();
    ssize_t got = 0;
    int error = 0;
    {
      detail::pinned_call call(descriptor, what);
      got = receive_once(*descriptor, buffer);
      error = errno;
    }
    if (got >= 0) co_return static_cast<std::size_t>(got);
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) throw std::system_error(error, std::system_category(), what);
    detail::check_wake(co_await detail::readiness_awaiter(descriptor->read_side(), token), token, what);
  }
}

}  // namespace

tpl::task<std::size_t> stream::read_some(std::span<std::byte> buffer, cancellation_token token) {
  constexpr const char* what = "tpl::io::stream::read_some";
  std::shared_ptr<io_descriptor> descriptor = detail::usable(descriptor_, what);
  // Nothing to read into: 0 at once, as stream.hpp promises. recv(2) of 0 bytes on a TCP or
  // Unix socket says EAGAIN while nothing is queued, so the call would wait for the peer
  // (issue 30, finding 5).
  if (buffer.empty()) co_return 0;
  detail::direction_claim claim(*descriptor, detail::direction::read, what);
  co_return co_await receive_some(descriptor, buffer, token, what);
}

tpl::task<> stream::read(std::span<std::byte> buffer, cancellation_token token) {
  constexpr const char* what = "tpl::io::stream::read";
  std::shared_ptr<io_descriptor> descriptor = detail::usable(descriptor_, what);
  detail::direction_claim claim(*descriptor, detail::direction::read, what);
  std::size_t done = 0;
  while (done < buffer.size()) {
    const std::size_t got = co_await receive_some(descriptor, buffer.subspan(done), token, what);
    if (got == 0) throw end_of_stream(buffer.size(), done);
    done += got;
  }
}

tpl::task<> stream::write(std::span<const std::byte> bytes, cancellation_token token) {
  std::shared_ptr<io_descriptor> descriptor = detail::usable(descriptor_, "tpl::io::stream::write");
  detail::direction_claim claim(*descriptor, detail::direction::write, "tpl::io::stream::write");
  std::size_t done = 0;
  if (detail::io_driver& driver = detail::io_driver::instance(); driver.performs_operations()) {
    while (done < bytes.size()) {
      const std::span<const std::byte> rest = bytes.subspan(done);
      done += co_await perform(driver, descriptor, detail::completion_kind::send, const_cast<std::byte*>(rest.data()),
                               rest.size(), token, "tpl::io::stream::write");
    }
    co_return;
  }
  while (done < bytes.size()) {
    token.throw_if_cancellation_requested();
    ssize_t sent = 0;
    int error = 0;
    {
      detail::pinned_call call(descriptor, "tpl::io::stream::write");
      sent = send_once(*descriptor, bytes.subspan(done));
      error = errno;
    }
    if (sent >= 0) {
      done += static_cast<std::size_t>(sent);
      continue;
    }
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) {
      throw std::system_error(error, std::system_category(), "tpl::io::stream::write");
    }
    detail::check_wake(co_await detail::readiness_awaiter(descriptor->write_side(), token), token,
                       "tpl::io::stream::write");
  }
}

}  // namespace tpl::io
