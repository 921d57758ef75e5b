// Reference server: the least a readiness-based server does per request. One thread per worker,
// each with its own epoll instance and SO_REUSEPORT listener; level-triggered, one recv per
// report, the reply sent at once (a short send waits for EPOLLOUT). Per request that is one
// recv, one send and a share of an epoll_wait: about 2 system calls, the floor for epoll.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "listen_socket.hpp"
#include "wire.hpp"

namespace {

struct connection {
  std::string unsent;  // a reply the socket did not take whole
  io_bench::request_counter requests;
};

void serve(int listener, io_bench::mode workload) {
  const int poller = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  (void)::epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
  std::unordered_map<int, connection> connections;
  std::vector<char> buffer(1 << 16);
  std::vector<epoll_event> events(1024);
  std::string reply;
  auto drop = [&](int descriptor) {
    (void)::epoll_ctl(poller, EPOLL_CTL_DEL, descriptor, nullptr);
    ::close(descriptor);
    connections.erase(descriptor);
  };
  auto send_all = [&](int descriptor, connection& state, const char* data, std::size_t size) {
    if (!state.unsent.empty()) {
      state.unsent.append(data, size);
      return;
    }
    const ssize_t sent = ::send(descriptor, data, size, MSG_NOSIGNAL);
    const std::size_t done = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    if (sent < 0 && errno != EAGAIN) return drop(descriptor);
    if (done < size) {
      state.unsent.assign(data + done, size - done);
      epoll_event writable{};
      writable.events = EPOLLIN | EPOLLOUT;
      writable.data.fd = descriptor;
      (void)::epoll_ctl(poller, EPOLL_CTL_MOD, descriptor, &writable);
    }
  };
  for (;;) {
    const int count = ::epoll_wait(poller, events.data(), static_cast<int>(events.size()), -1);
    for (int at = 0; at < count; ++at) {
      const int descriptor = events[at].data.fd;
      if (descriptor == listener) {
        for (;;) {
          const int accepted = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (accepted < 0) break;
          io_bench::set_no_delay(accepted);
          connections.emplace(accepted, connection{});
          epoll_event readable{};
          readable.events = EPOLLIN;
          readable.data.fd = accepted;
          (void)::epoll_ctl(poller, EPOLL_CTL_ADD, accepted, &readable);
        }
        continue;
      }
      auto found = connections.find(descriptor);
      if (found == connections.end()) continue;
      connection& state = found->second;
      if ((events[at].events & EPOLLOUT) != 0 && !state.unsent.empty()) {
        const ssize_t sent = ::send(descriptor, state.unsent.data(), state.unsent.size(), MSG_NOSIGNAL);
        if (sent > 0) state.unsent.erase(0, static_cast<std::size_t>(sent));
        if (state.unsent.empty()) {
          epoll_event readable{};
          readable.events = EPOLLIN;
          readable.data.fd = descriptor;
          (void)::epoll_ctl(poller, EPOLL_CTL_MOD, descriptor, &readable);
        }
      }
      if ((events[at].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) continue;
      const ssize_t got = ::recv(descriptor, buffer.data(), buffer.size(), 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(descriptor);
        continue;
      }
      if (got < 0) continue;
      if (workload == io_bench::mode::echo) {
        send_all(descriptor, state, buffer.data(), static_cast<std::size_t>(got));
        continue;
      }
      const std::size_t complete = state.requests.feed(buffer.data(), static_cast<std::size_t>(got));
      if (complete == 0) continue;
      reply.clear();
      for (std::size_t index = 0; index < complete; ++index) reply.append(io_bench::http_response);
      send_all(descriptor, state, reply.data(), reply.size());
    }
  }
}

}  // namespace

int main(int argc, char** argv) { return io_bench::run_reference_server(argc, argv, serve); }
