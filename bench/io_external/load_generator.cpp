// The external I/O benchmark's client, in a process of its own (scripts/bench_io_external.py):
// C keep-alive connections to a server on loopback, each sending one request and waiting for
// the whole response before the next (closed loop). One thread, level-triggered epoll.
//
//   load_generator --port P --connections C --mode echo|http [--size N]
//
// It connects every connection, runs for half a second, then prints "ready" and keeps the load
// on. Each "mark" line on its standard input is answered with "mark <requests> <ns>": the
// requests completed so far and a steady-clock time. The second mark also prints
// "latency <p50_us> <p99_us>" over the requests completed between the two marks, and ends the
// program. The script brackets its perf counters between the marks, so per-request counts use
// exactly the requests of that window.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "wire.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

struct connection {
  int descriptor = -1;
  std::size_t sent = 0;      // of the current request
  std::size_t received = 0;  // of the current response
  clock_type::time_point started;
};

std::int64_t nanoseconds(clock_type::time_point at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 0;
  std::size_t connection_count = 1;
  io_bench::mode workload = io_bench::mode::echo;
  std::size_t size = 64;
  for (int index = 1; index + 1 < argc; index += 2) {
    const std::string_view flag = argv[index];
    const char* value = argv[index + 1];
    if (flag == "--port") {
      port = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    } else if (flag == "--connections") {
      connection_count = std::strtoul(value, nullptr, 10);
    } else if (flag == "--mode") {
      workload = std::strcmp(value, "http") == 0 ? io_bench::mode::http : io_bench::mode::echo;
    } else if (flag == "--size") {
      size = std::strtoul(value, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s --port P --connections C --mode echo|http [--size N]\n", argv[0]);
      return 2;
    }
  }
  if (port == 0 || connection_count == 0 || size == 0) return 2;

  const std::string request = workload == io_bench::mode::http ? std::string(io_bench::http_request) : std::string(size, 'x');
  const std::size_t response_size = workload == io_bench::mode::http ? io_bench::http_response.size() : size;

  const int poller = ::epoll_create1(EPOLL_CLOEXEC);
  if (poller < 0) die("epoll_create1");
  std::vector<connection> connections(connection_count);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::size_t index = 0; index < connection_count; ++index) {
    const int descriptor = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (descriptor < 0) die("socket");
    if (::connect(descriptor, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) die("connect");
    const int on = 1;
    (void)::setsockopt(descriptor, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    connections[index].descriptor = descriptor;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = index;
    if (::epoll_ctl(poller, EPOLL_CTL_ADD, descriptor, &event) != 0) die("epoll_ctl");
  }
  epoll_event input{};
  input.events = EPOLLIN;
  input.data.u64 = UINT64_MAX;
  if (::epoll_ctl(poller, EPOLL_CTL_ADD, STDIN_FILENO, &input) != 0) die("epoll_ctl(stdin)");

  // Requests are small enough to go out in one send (the previous response was read whole, so
  // the socket's send buffer is empty); a short send is finished in the loop below.
  auto send_request = [&](connection& each) {
    each.sent = 0;
    each.received = 0;
    each.started = clock_type::now();
    while (each.sent < request.size()) {
      const ssize_t sent = ::send(each.descriptor, request.data() + each.sent, request.size() - each.sent, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        die("send");
      }
      each.sent += static_cast<std::size_t>(sent);
    }
  };
  for (connection& each : connections) send_request(each);

  std::uint64_t completed = 0;
  bool measuring = false;
  std::vector<std::uint32_t> latencies_ns;  // of the requests completed while measuring
  latencies_ns.reserve(1 << 22);
  const auto warmup_end = clock_type::now() + std::chrono::milliseconds(500);
  bool ready_said = false;
  std::vector<char> buffer(1 << 16);
  std::vector<epoll_event> events(std::min<std::size_t>(connection_count + 1, 1024));
  std::string command;
  for (;;) {
    const int count = ::epoll_wait(poller, events.data(), static_cast<int>(events.size()), ready_said ? -1 : 50);
    if (count < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    if (!ready_said && clock_type::now() >= warmup_end) {
      std::printf("ready\n");
      std::fflush(stdout);
      ready_said = true;
    }
    for (int at = 0; at < count; ++at) {
      if (events[at].data.u64 == UINT64_MAX) {
        char line[64];
        const ssize_t got = ::read(STDIN_FILENO, line, sizeof line);
        if (got <= 0) return 0;  // the script went away
        command.append(line, static_cast<std::size_t>(got));
        while (command.find('\n') != std::string::npos) {
          command.erase(0, command.find('\n') + 1);
          std::printf("mark %llu %lld\n", static_cast<unsigned long long>(completed),
                      static_cast<long long>(nanoseconds(clock_type::now())));
          if (measuring) {
            std::sort(latencies_ns.begin(), latencies_ns.end());
            auto at_fraction = [&](double fraction) {
              if (latencies_ns.empty()) return 0.0;
              const std::size_t index = std::min(latencies_ns.size() - 1, static_cast<std::size_t>(fraction * latencies_ns.size()));
              return latencies_ns[index] / 1000.0;
            };
            std::printf("latency %.1f %.1f\n", at_fraction(0.50), at_fraction(0.99));
            std::fflush(stdout);
            return 0;
          }
          std::fflush(stdout);
          measuring = true;
        }
        continue;
      }
      connection& each = connections[events[at].data.u64];
      const ssize_t got = ::recv(each.descriptor, buffer.data(), buffer.size(), 0);
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        die("recv");
      }
      if (got == 0) {
        std::fprintf(stderr, "load_generator: the server closed a connection\n");
        return 1;
      }
      each.received += static_cast<std::size_t>(got);
      if (each.received < response_size) continue;
      if (each.received > response_size) {
        std::fprintf(stderr, "load_generator: %zu bytes answered a request that expects %zu\n", each.received, response_size);
        return 1;
      }
      ++completed;
      if (measuring) {
        const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - each.started).count();
        latencies_ns.push_back(static_cast<std::uint32_t>(std::min<long long>(took, UINT32_MAX)));
      }
      send_request(each);
    }
  }
}
