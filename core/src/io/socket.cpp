#include "tpl/io/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "detail/io_descriptor.hpp"
#include "detail/io_operation.hpp"

namespace tpl::io {

using detail::io_descriptor;

namespace {

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}

// A socket address for `where`: numeric IPv4/IPv6 or "localhost".
struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

socket_address resolve_numeric(const endpoint& where) {
  socket_address result;
  const std::string& text = where.address == "localhost" ? std::string("127.0.0.1") : where.address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage);
  if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(where.port);
    result.length = sizeof(sockaddr_in);
    return result;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
  if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(where.port);
    result.length = sizeof(sockaddr_in6);
    return result;
  }
  throw std::invalid_argument("tpl::io: '" + where.address +
                              "' is not a numeric address (name resolution is out of scope; use an IP or localhost)");
}

socket_address unix_address(const std::string& path) {
  socket_address result;
  auto* address = reinterpret_cast<sockaddr_un*>(&result.storage);
  if (path.empty() || path.size() >= sizeof(address->sun_path)) {
    throw std::invalid_argument("tpl::io: a Unix socket path must be 1 to " +
                                std::to_string(sizeof(address->sun_path) - 1) + " bytes long");
  }
  address->sun_family = AF_UNIX;
  std::memcpy(address->sun_path, path.c_str(), path.size() + 1);
  result.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return result;
}

int new_socket(int family, const char* what) {
  const int descriptor = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (descriptor < 0) fail(errno, what);
  return descriptor;
}

std::shared_ptr<io_descriptor> bound_listener(const socket_address& address, int backlog, const char* what) {
  const int descriptor = new_socket(address.storage.ss_family, what);
  if (address.storage.ss_family != AF_UNIX) {
    const int yes = 1;
    (void)::setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  }
  if (::bind(descriptor, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 ||
      ::listen(descriptor, backlog) != 0) {
    const int error = errno;
    ::close(descriptor);
    fail(error, what);
  }
  return io_descriptor::adopt(descriptor);
}

// Connects a fresh socket: at once on loopback often, else when it turns writable.
tpl::task<stream> connect_to(socket_address address, cancellation_token token, const char* what) {
  token.throw_if_cancellation_requested();
  std::shared_ptr<io_descriptor> descriptor = io_descriptor::adopt(new_socket(address.storage.ss_family, what));
  stream connected(descriptor);  // closes the socket if connecting fails
  int error = 0;
  {
    detail::pinned_call call(descriptor, what);
    if (::connect(call.number(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0) {
      co_return connected;
    }
    error = errno;
  }
  if (error != EINPROGRESS && error != EAGAIN) fail(error, what);
  for (;;) {
    detail::check_wake(co_await detail::readiness_awaiter(descriptor->write_side(), token), token, what);
    int outcome = 0;
    socklen_t length = sizeof outcome;
    {
      detail::pinned_call call(descriptor, what);
      if (::getsockopt(call.number(), SOL_SOCKET, SO_ERROR, &outcome, &length) != 0) outcome = errno;
    }
    if (outcome == 0) {
      // Writable with no error may still be a report from before the handshake ended.
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      detail::pinned_call call(descriptor, what);
      if (::getpeername(call.number(), reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0) co_return connected;
      if (errno != ENOTCONN) fail(errno, what);
      continue;
    }
    if (outcome == EINPROGRESS || outcome == EALREADY) continue;
    fail(outcome, what);
  }
}

}  // namespace

listener::listener(std::shared_ptr<io_descriptor> descriptor) noexcept : descriptor_(std::move(descriptor)) {}

listener& listener::operator=(listener&& other) noexcept {
  if (this != &other) {
    close();
    descriptor_ = std::move(other.descriptor_);
  }
  return *this;
}

listener::~listener() { close(); }

void listener::close() noexcept {
  // A copy, as stream::close(): the woken accept may destroy this listener meanwhile.
  if (std::shared_ptr<io_descriptor> keep = descriptor_) keep->close();
}

bool listener::is_open() const noexcept { return descriptor_ != nullptr && !descriptor_->close_was_asked(); }

listener listener::listen_tcp(const endpoint& where, int backlog) {
  return listener(bound_listener(resolve_numeric(where), backlog, "tpl::io::listener::listen_tcp"));
}

listener listener::listen_unix(const std::string& path, int backlog) {
  return listener(bound_listener(unix_address(path), backlog, "tpl::io::listener::listen_unix"));
}

endpoint listener::local_endpoint() const {
  constexpr const char* what = "tpl::io::listener::local_endpoint";
  detail::pinned_call call(descriptor_, what);
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(call.number(), reinterpret_cast<sockaddr*>(&address), &length) != 0) fail(errno, what);
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    return {text, ntohs(v4->sin_port)};
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return {text, ntohs(v6->sin6_port)};
  }
  throw std::invalid_argument(std::string(what) + ": not a TCP listener");
}

tpl::task<stream> listener::accept(cancellation_token token) {
  constexpr const char* what = "tpl::io::listener::accept";
  std::shared_ptr<io_descriptor> descriptor = detail::usable(descriptor_, what);
  detail::direction_claim claim(*descriptor, detail::direction::read, what);
  for (;;) {
    token.throw_if_cancellation_requested();
    int accepted = -1;
    int error = 0;
    {
      detail::pinned_call call(descriptor, what);
      accepted = ::accept4(call.number(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      error = errno;
    }
    if (accepted >= 0) {
      if (descriptor->is_socket()) {
        const int yes = 1;  // request/response traffic: do not hold small writes back (Nagle)
        (void)::setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      }
      co_return stream(io_descriptor::adopt(accepted));
    }
    // The peer gave up before we took it: take the next one.
    if (error == EINTR || error == ECONNABORTED) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) fail(error, what);
    detail::check_wake(co_await detail::readiness_awaiter(descriptor->read_side(), token), token, what);
  }
}

tpl::task<stream> connect_tcp(endpoint to, cancellation_token token) {
  stream connected = co_await connect_to(resolve_numeric(to), token, "tpl::io::connect_tcp");
  const int yes = 1;  // as accept: no Nagle delay for request/response traffic
  (void)::setsockopt(connected.native_handle(), IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  co_return connected;
}

tpl::task<stream> connect_unix(std::string path, cancellation_token token) {
  co_return co_await connect_to(unix_address(path), token, "tpl::io::connect_unix");
}

namespace {

// Adopts both ends of a pipe or socket pair; closes the second end if the first cannot be
// adopted (adopt closes the one it was given).
std::pair<stream, stream> adopt_both(const int ends[2]) {
  std::shared_ptr<io_descriptor> first;
  try {
    first = io_descriptor::adopt(ends[0]);
  } catch (...) {
    ::close(ends[1]);
    throw;
  }
  stream first_end(std::move(first));
  return {std::move(first_end), stream(ends[1])};
}

}  // namespace

std::pair<stream, stream> make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0) fail(errno, "tpl::io::make_pipe");
  return adopt_both(ends);
}

std::pair<stream, stream> make_socket_pair() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) != 0) {
    fail(errno, "tpl::io::make_socket_pair");
  }
  return adopt_both(ends);
}

}  // namespace tpl::io
