/// \file
/// tpl::io::stream — a connected, non-blocking byte stream (TCP socket, Unix-domain socket,
/// pipe end) whose operations are tasks. No thread waits on an operation: a call tries the
/// system call at once and, if the kernel has nothing yet (EAGAIN), returns an incomplete task;
/// the I/O reactor's report (taken by an idle pool worker) resumes the awaiting coroutine on
/// the pool it was awaited from (docs/io.md).
///
/// Rules, as .NET's NetworkStream / Socket:
///   * One read and one write may be pending at a time (one of each, concurrently, is fine).
///     A second concurrent read (or write) throws tpl::invalid_operation.
///   * Every operation takes a cancellation_token. Canceling a pending operation ends its task
///     canceled (tpl::operation_canceled). read_some() consumed nothing then, and the stream
///     stays usable; read() and write() may have moved part of their bytes, so after canceling
///     them the stream's position is unknown: close it.
///   * Errors are std::system_error with the errno (ECONNRESET, EPIPE, ...). A peer that closes
///     its side makes read_some() return 0; read() throws tpl::io::end_of_stream.
///   * close() (also the destructor) ends pending operations with std::system_error(ECANCELED)
///     and later ones with std::system_error(EBADF). The descriptor itself is closed once no
///     system call on it is in flight, so its number is never reused under a running call.
///   * A stream is closed by close() or by its destructor. A stream passed by value to a
///     coroutine lives in the coroutine's frame, which lasts as long as a handle to its task
///     does (the frame is the task), not only until the body returns: close() it when the
///     conversation is over, or the peer waits for an end of stream that comes late.
///   * Writes to a socket never raise SIGPIPE (MSG_NOSIGNAL: EPIPE instead). A pipe's write end
///     does raise it when the reader is gone, as write(2) does, unless the program ignores it.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "tpl/cancellation_token.hpp"
#include "tpl/task.hpp"

namespace tpl::io {

/// \cond TPL_INTERNALS
namespace detail {
class io_descriptor;
}
/// \endcond

enum class shutdown_kind { receive, send, both };

class stream {
 public:
  stream() noexcept = default;
  /// Adopts `descriptor` (a socket or a pipe end): makes it non-blocking and registers it with
  /// the I/O driver. Throws std::system_error if the driver cannot watch it (a regular file).
  explicit stream(int descriptor);
  stream(stream&&) noexcept = default;
  stream& operator=(stream&& other) noexcept;
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream();

  /// Reads what is there, at least one byte, at most buffer.size(); 0 only at end of stream
  /// (or for an empty buffer).
  [[nodiscard]] tpl::task<std::size_t> read_some(std::span<std::byte> buffer,
                                                 cancellation_token token = cancellation_token::none());
  /// Reads exactly buffer.size() bytes; throws end_of_stream if the peer closes before.
  [[nodiscard]] tpl::task<> read(std::span<std::byte> buffer, cancellation_token token = cancellation_token::none());
  /// Writes all of `bytes`.
  [[nodiscard]] tpl::task<> write(std::span<const std::byte> bytes,
                                  cancellation_token token = cancellation_token::none());

  /// shutdown(2): at once, nothing to wait for. Sockets only.
  void shutdown(shutdown_kind kind);
  /// Idempotent; see the rules above.
  void close() noexcept;

  [[nodiscard]] bool is_open() const noexcept;
  /// The descriptor, or -1 once closed (and for a default-constructed stream).
  [[nodiscard]] int native_handle() const noexcept;

  /// \cond TPL_INTERNALS
  // A stream over an already registered descriptor (accept, connect).
  explicit stream(std::shared_ptr<detail::io_descriptor> adopted) noexcept;
  /// \endcond

 private:
  std::shared_ptr<detail::io_descriptor> descriptor_;
};

}  // namespace tpl::io
