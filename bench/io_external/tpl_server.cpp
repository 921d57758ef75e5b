// tpl's server, written as a tpl user would write it: a pool of W workers, an accept loop on
// the pool, one coroutine per connection reading what comes (read_some) and writing the reply
// (write). Accepted sockets get TCP_NODELAY from tpl::io itself. It also prints its threads'
// names at start-up, so the harness shows what runs besides the pool's workers.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tpl/io.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"
#include "wire.hpp"

namespace {

tpl::task<> serve_connection(tpl::io::stream connection, io_bench::mode workload) {
  std::array<std::byte, 1 << 16> buffer{};
  io_bench::request_counter requests;
  std::string replies;
  try {
    for (;;) {
      const std::size_t got = co_await connection.read_some(buffer);
      if (got == 0) break;
      if (workload == io_bench::mode::echo) {
        co_await connection.write(std::span<const std::byte>(buffer.data(), got));
        continue;
      }
      const std::size_t complete = requests.feed(reinterpret_cast<const char*>(buffer.data()), got);
      if (complete == 0) continue;
      replies.clear();
      for (std::size_t index = 0; index < complete; ++index) replies.append(io_bench::http_response);
      co_await connection.write(std::as_bytes(std::span(replies)));
    }
  } catch (const std::exception&) {
    // the client went away
  }
  connection.close();
}

tpl::task<> accept_loop(tpl::thread_pool& pool, tpl::io::listener& server, io_bench::mode workload) {
  co_await pool.schedule();
  for (;;) {
    tpl::io::stream connection = co_await server.accept();
    // Started here, on a worker: it runs until its first wait, then resumes on this pool. The
    // task handle may go: a coroutine task runs to the end without one.
    (void)serve_connection(std::move(connection), workload);
  }
}

void print_threads() {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream name(entry.path() / "comm");
    std::string text;
    std::getline(name, text);
    std::fprintf(stderr, "tpl_server thread %s: %s\n", entry.path().filename().c_str(), text.c_str());
    ++count;
  }
  std::fprintf(stderr, "tpl_server: %zu threads\n", count);
}

}  // namespace

int main(int argc, char** argv) {
  const io_bench::server_options options = io_bench::parse_server_options(argc, argv);
  tpl::thread_pool pool(options.workers);
  tpl::io::listener server = tpl::io::listener::listen_tcp({"127.0.0.1", 0}, 4096);
  tpl::task<> accepting = accept_loop(pool, server, options.workload);
  print_threads();
  io_bench::publish_port(options.port_file, server.local_endpoint().port);
  accepting.wait();  // serves until killed
}
