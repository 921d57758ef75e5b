// The peer: standalone Asio 1.22 with C++20 coroutines (asio::awaitable), written as a user of
// Asio would write it: one io_context run by W threads, an acceptor loop, one coroutine per
// connection reading what comes and writing the reply. Built twice by bench/CMakeLists.txt:
// asio_epoll_server (Asio's default reactor) and asio_uring_server (ASIO_HAS_IO_URING with
// ASIO_DISABLE_EPOLL: every operation through io_uring).
#include <asio.hpp>
#include <string>
#include <thread>
#include <vector>

#include "wire.hpp"

namespace {

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, io_bench::mode workload) {
  socket.set_option(asio::ip::tcp::no_delay(true));
  std::vector<char> buffer(1 << 16);
  io_bench::request_counter requests;
  std::string replies;
  try {
    for (;;) {
      const std::size_t got = co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      if (workload == io_bench::mode::echo) {
        co_await asio::async_write(socket, asio::buffer(buffer.data(), got), asio::use_awaitable);
        continue;
      }
      const std::size_t complete = requests.feed(buffer.data(), got);
      if (complete == 0) continue;
      replies.clear();
      for (std::size_t index = 0; index < complete; ++index) replies.append(io_bench::http_response);
      co_await asio::async_write(socket, asio::buffer(replies), asio::use_awaitable);
    }
  } catch (const std::exception&) {
    // the client went away
  }
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, io_bench::mode workload) {
  for (;;) {
    asio::ip::tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), workload), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const io_bench::server_options options = io_bench::parse_server_options(argc, argv);
  asio::io_context context(static_cast<int>(options.workers));
  asio::ip::tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
  io_bench::publish_port(options.port_file, acceptor.local_endpoint().port());
  asio::co_spawn(context, accept_loop(acceptor, options.workload), asio::detached);
  std::vector<std::thread> threads;
  for (unsigned index = 1; index < options.workers; ++index) threads.emplace_back([&] { context.run(); });
  context.run();
}
