/// \file
/// Connecting and listening: TCP on numeric addresses (and "localhost"), Unix-domain stream
/// sockets, and pipes, all giving tpl::io::stream. Name resolution is out of scope.
///
/// connect_* and accept() are tasks like the stream's operations (no thread waits on them),
/// take a cancellation_token with the same rules, and report errors as std::system_error with
/// the errno: ECONNREFUSED from connect, EMFILE / ENFILE from accept when the process has no
/// descriptor left (the pending connection stays queued, so a later accept() takes it once
/// descriptors free up).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "tpl/cancellation_token.hpp"
#include "tpl/io/stream.hpp"
#include "tpl/task.hpp"

namespace tpl::io {

/// A numeric IPv4 or IPv6 address ("127.0.0.1", "::1") or "localhost" (127.0.0.1), and a port.
/// Anything else throws std::invalid_argument where it is used.
///
/// Not an aggregate on purpose: g++ before 13 destroys an aggregate temporary written inside a
/// `co_await` expression twice (GCC PR 101976: `co_await connect_tcp({"127.0.0.1", port})` freed
/// the string twice), while a temporary built by a constructor is handled correctly
/// (docs/tasks.md, "g++ 12 and temporaries in co_await").
struct endpoint {
  std::string address;
  std::uint16_t port = 0;

  endpoint() = default;
  endpoint(std::string address_text, std::uint16_t port_number) : address(std::move(address_text)), port(port_number) {}
};

class listener {
 public:
  listener() noexcept = default;
  listener(listener&&) noexcept = default;
  listener& operator=(listener&&) noexcept;
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;
  ~listener();

  /// Binds and listens. Port 0 picks a free port; local_endpoint() says which.
  [[nodiscard]] static listener listen_tcp(const endpoint& where, int backlog = 1024);
  /// Binds a Unix-domain stream socket at `path` (which must not exist) and listens.
  [[nodiscard]] static listener listen_unix(const std::string& path, int backlog = 1024);

  [[nodiscard]] tpl::task<stream> accept(cancellation_token token = cancellation_token::none());

  /// TCP only: the bound address and port.
  [[nodiscard]] endpoint local_endpoint() const;
  /// Ends a pending accept with std::system_error(ECANCELED); idempotent.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;

 private:
  explicit listener(std::shared_ptr<detail::io_descriptor> descriptor) noexcept;
  std::shared_ptr<detail::io_descriptor> descriptor_;
};

[[nodiscard]] tpl::task<stream> connect_tcp(endpoint to, cancellation_token token = cancellation_token::none());
[[nodiscard]] tpl::task<stream> connect_unix(std::string path, cancellation_token token = cancellation_token::none());

/// pipe2(2): first is the read end, second the write end.
[[nodiscard]] std::pair<stream, stream> make_pipe();
/// socketpair(2), AF_UNIX stream: two connected ends.
[[nodiscard]] std::pair<stream, stream> make_socket_pair();

}  // namespace tpl::io
