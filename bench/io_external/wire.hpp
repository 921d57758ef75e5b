// What the external I/O benchmark's processes agree on (scripts/bench_io_external.py runs them):
// the two workloads, the HTTP response every server sends, and the servers' command line.
//
//   echo: the client sends N bytes, the server sends back whatever it receives; one request is
//         one round trip of N bytes (the load generator's --size: 64 or 4096).
//   http: the client sends one HTTP/1.1 keep-alive GET; the server answers each request (a
//         header block ending in a blank line) with http_response. Servers find request ends
//         by that blank line, so pipelined or split requests are still counted right.
//
// A server is `<server> --mode echo|http --workers W --port-file PATH`: it listens on an
// ephemeral loopback port, writes the port number to PATH once it accepts, and serves until
// killed. The reference servers (raw epoll, raw io_uring) and the Asio and tpl servers all take
// the same arguments, so the script treats them alike.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace io_bench {

inline constexpr std::string_view http_request = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
inline constexpr std::string_view http_response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
inline constexpr std::string_view request_end = "\r\n\r\n";

enum class mode { echo, http };

struct server_options {
  mode workload = mode::echo;
  unsigned workers = 1;
  std::string port_file;
};

[[noreturn]] inline void usage(const char* program) {
  std::fprintf(stderr, "usage: %s --mode echo|http --workers N --port-file PATH\n", program);
  std::exit(2);
}

inline server_options parse_server_options(int argc, char** argv) {
  server_options options;
  for (int index = 1; index + 1 < argc; index += 2) {
    const std::string_view flag = argv[index];
    const char* value = argv[index + 1];
    if (flag == "--mode") {
      if (std::strcmp(value, "echo") == 0) {
        options.workload = mode::echo;
      } else if (std::strcmp(value, "http") == 0) {
        options.workload = mode::http;
      } else {
        usage(argv[0]);
      }
    } else if (flag == "--workers") {
      options.workers = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    } else if (flag == "--port-file") {
      options.port_file = value;
    } else {
      usage(argv[0]);
    }
  }
  if (options.workers == 0 || options.port_file.empty()) usage(argv[0]);
  return options;
}

// Written once the server accepts: the script waits for the file.
inline void publish_port(const std::string& path, unsigned port) {
  const std::string temporary = path + ".partial";
  std::FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) std::exit(3);
  std::fprintf(file, "%u\n", port);
  std::fclose(file);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) std::exit(3);
}

// Counts the request ends in a stream of HTTP requests that arrives in chunks: `matched` carries
// how much of "\r\n\r\n" the previous chunk ended with.
class request_counter {
 public:
  std::size_t feed(const char* data, std::size_t size) {
    std::size_t complete = 0;
    for (std::size_t index = 0; index < size; ++index) {
      if (data[index] == request_end[matched_]) {
        if (++matched_ == request_end.size()) {
          ++complete;
          matched_ = 0;
        }
      } else {
        matched_ = data[index] == request_end[0] ? 1 : 0;
      }
    }
    return complete;
  }

 private:
  std::size_t matched_ = 0;
};

}  // namespace io_bench
