// The reference servers' listening sockets: one per worker thread on the same loopback port
// (SO_REUSEPORT, so the kernel spreads connections over the workers, as an nginx-style server
// does), non-blocking.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "wire.hpp"

namespace io_bench {

// port 0: an ephemeral port (the first worker's); returns the descriptor and sets `port`.
inline int listen_on_loopback(unsigned& port) {
  const int descriptor = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (descriptor < 0) {
    std::perror("socket");
    std::exit(1);
  }
  const int on = 1;
  (void)::setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  (void)::setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(descriptor, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(descriptor, 4096) != 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  socklen_t length = sizeof address;
  (void)::getsockname(descriptor, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return descriptor;
}

inline void set_no_delay(int descriptor) {
  const int on = 1;
  (void)::setsockopt(descriptor, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// A reference server's main: one listener per worker on one port, `serve(listener, workload)` on
// a thread per worker (the first on this one), the port published once all listen.
template <class Serve>
int run_reference_server(int argc, char** argv, Serve serve) {
  const server_options options = parse_server_options(argc, argv);
  unsigned port = 0;
  std::vector<int> listeners;
  for (unsigned index = 0; index < options.workers; ++index) listeners.push_back(listen_on_loopback(port));
  std::vector<std::thread> workers;
  for (unsigned index = 1; index < options.workers; ++index) workers.emplace_back(serve, listeners[index], options.workload);
  publish_port(options.port_file, port);
  serve(listeners[0], options.workload);
  return 0;
}

}  // namespace io_bench
