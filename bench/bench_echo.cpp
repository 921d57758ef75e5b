// Echo over loopback TCP: tpl::io against standalone Asio (C++20 coroutines, asio::awaitable),
// the same workload in the same run.
//
// Each of C client connections sends a 64-byte request and waits for its echo, R times in a
// row; the server echoes. Client and server run in this process on the same runtime: tpl's
// pool of W workers (which poll the I/O reactor themselves since issue 30) against an
// asio::io_context run by W threads. Reported per row: requests/s (round trips over the wall
// time), and p50 / p99 of the round-trip latency across every request of every connection.
//
// `bench_echo --memory` instead opens 1,000 idle connections (each with a server side waiting
// in a read) on each runtime and prints the heap bytes each one holds (glibc's counters).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tpl/io.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/when_all.hpp"

namespace {

constexpr std::size_t message_size = 64;
using clock_type = std::chrono::steady_clock;

struct latency_report {
  double p50_us = 0;
  double p99_us = 0;
};

latency_report percentiles(std::vector<double>& samples_us) {
  if (samples_us.empty()) return {};
  std::sort(samples_us.begin(), samples_us.end());
  auto at = [&](double fraction) {
    return samples_us[std::min(samples_us.size() - 1, static_cast<std::size_t>(fraction * samples_us.size()))];
  };
  return {at(0.50), at(0.99)};
}

// Round trips per connection, so that every row moves about the same number of requests.
std::size_t round_trips_for(std::size_t connections) { return std::max<std::size_t>(20, 20000 / connections); }

void report(benchmark::State& state, std::size_t requests, double seconds, std::vector<double>& latencies) {
  const latency_report latency = percentiles(latencies);
  state.counters["requests_per_s"] = static_cast<double>(requests) / seconds;
  state.counters["p50_us"] = latency.p50_us;
  state.counters["p99_us"] = latency.p99_us;
}

void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// --- tpl ------------------------------------------------------------------------------------

tpl::task<> tpl_echo_session(tpl::io::stream connection) {
  std::array<std::byte, message_size> buffer{};
  for (;;) {
    const std::size_t got = co_await connection.read_some(buffer);
    if (got == 0) break;
    co_await connection.write(std::span<const std::byte>(buffer.data(), got));
  }
  connection.close();
}

tpl::task<> tpl_accept_loop(tpl::thread_pool& pool, tpl::io::listener& server, std::size_t connections) {
  co_await tpl::resume_on(pool);
  std::vector<tpl::task<>> sessions;
  for (std::size_t index = 0; index < connections; ++index) {
    sessions.push_back(tpl_echo_session(co_await server.accept()));
  }
  co_await tpl::when_all(sessions);
}

tpl::task<> tpl_client(tpl::thread_pool& pool, tpl::io::endpoint where, std::size_t round_trips, double* latencies) {
  co_await tpl::resume_on(pool);
  tpl::io::stream connection = co_await tpl::io::connect_tcp(where);
  std::array<std::byte, message_size> request{};
  std::array<std::byte, message_size> response{};
  for (std::size_t trip = 0; trip < round_trips; ++trip) {
    const auto start = clock_type::now();
    co_await connection.write(request);
    co_await connection.read(response);
    latencies[trip] = std::chrono::duration<double, std::micro>(clock_type::now() - start).count();
  }
  connection.close();
}

void tpl_echo(benchmark::State& state) {
  const auto workers = static_cast<std::size_t>(state.range(0));
  const auto connections = static_cast<std::size_t>(state.range(1));
  const std::size_t round_trips = round_trips_for(connections);
  raise_descriptor_limit();
  tpl::thread_pool pool(workers);
  std::vector<double> latencies(connections * round_trips);
  double seconds = 0;
  for (auto _ : state) {
    auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
    const tpl::io::endpoint where = server.local_endpoint();
    const auto start = clock_type::now();
    tpl::task<> serving = tpl_accept_loop(pool, server, connections);
    std::vector<tpl::task<>> clients;
    for (std::size_t index = 0; index < connections; ++index) {
      clients.push_back(tpl_client(pool, where, round_trips, latencies.data() + index * round_trips));
    }
    tpl::when_all(clients).get();
    serving.get();
    seconds += std::chrono::duration<double>(clock_type::now() - start).count();
  }
  report(state, connections * round_trips * state.iterations(), seconds, latencies);
}

// --- Asio -----------------------------------------------------------------------------------

using asio::ip::tcp;

asio::awaitable<void> asio_echo_session(tcp::socket socket) {
  std::array<std::byte, message_size> buffer{};
  for (;;) {
    asio::error_code error;
    const std::size_t got =
        co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    co_await asio::async_write(socket, asio::buffer(buffer.data(), got), asio::use_awaitable);
  }
}

asio::awaitable<void> asio_accept_loop(tcp::acceptor& acceptor, std::size_t connections) {
  for (std::size_t index = 0; index < connections; ++index) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), asio_echo_session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> asio_client(tcp::endpoint where, std::size_t round_trips, double* latencies) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(where, asio::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  std::array<std::byte, message_size> request{};
  std::array<std::byte, message_size> response{};
  for (std::size_t trip = 0; trip < round_trips; ++trip) {
    const auto start = clock_type::now();
    co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
    co_await asio::async_read(socket, asio::buffer(response), asio::use_awaitable);
    latencies[trip] = std::chrono::duration<double, std::micro>(clock_type::now() - start).count();
  }
}

void asio_echo(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  const auto connections = static_cast<std::size_t>(state.range(1));
  const std::size_t round_trips = round_trips_for(connections);
  raise_descriptor_limit();
  std::vector<double> latencies(connections * round_trips);
  double seconds = 0;
  for (auto _ : state) {
    asio::io_context context(static_cast<int>(threads));
    tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const tcp::endpoint where = acceptor.local_endpoint();
    const auto start = clock_type::now();
    asio::co_spawn(context, asio_accept_loop(acceptor, connections), asio::detached);
    for (std::size_t index = 0; index < connections; ++index) {
      asio::co_spawn(context, asio_client(where, round_trips, latencies.data() + index * round_trips), asio::detached);
    }
    // run() returns when no work is left: every client finished and every session saw its
    // peer's end of stream.
    std::vector<std::thread> runners;
    for (std::size_t index = 1; index < threads; ++index) runners.emplace_back([&] { context.run(); });
    context.run();
    for (std::thread& runner : runners) runner.join();
    seconds += std::chrono::duration<double>(clock_type::now() - start).count();
  }
  report(state, connections * round_trips * state.iterations(), seconds, latencies);
}

void echo_arguments(benchmark::internal::Benchmark* bench) {
  for (long workers : {1, 2}) {
    for (long connections : {1, 100, 1000}) bench->Args({workers, connections});
  }
  bench->ArgNames({"workers", "connections"})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
}

BENCHMARK(tpl_echo)->Apply(echo_arguments);
BENCHMARK(asio_echo)->Apply(echo_arguments);

// --- memory per idle connection ---------------------------------------------------------------

std::size_t heap_in_use() { return mallinfo2().uordblks; }

void measure_memory(std::size_t connections) {
  raise_descriptor_limit();
  {
    tpl::thread_pool pool(1);
    auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
    const tpl::io::endpoint where = server.local_endpoint();
    const std::size_t before = heap_in_use();
    std::vector<tpl::io::stream> clients;
    std::vector<tpl::task<>> sessions;
    clients.reserve(connections);
    sessions.reserve(connections);
    for (std::size_t index = 0; index < connections; ++index) {
      tpl::task<tpl::io::stream> accepted = server.accept();
      clients.push_back(tpl::io::connect_tcp(where).get());
      sessions.push_back(tpl_echo_session(std::move(accepted).get()));  // waits in read_some
    }
    const std::size_t after = heap_in_use();
    std::printf("tpl:  %zu idle connections, %.0f heap bytes each (client stream + server stream + waiting session)\n",
                connections, static_cast<double>(after - before) / static_cast<double>(connections));
    clients.clear();  // the sessions see the end of stream and finish
    for (const tpl::task<>& session : sessions) session.wait();
  }
  {
    asio::io_context context(1);
    tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const std::size_t before = heap_in_use();
    std::vector<tcp::socket> clients;
    clients.reserve(connections);
    for (std::size_t index = 0; index < connections; ++index) {
      clients.emplace_back(context);
      clients.back().connect(acceptor.local_endpoint());
      tcp::socket served = acceptor.accept();
      asio::co_spawn(context, asio_echo_session(std::move(served)), asio::detached);
    }
    context.poll();  // every session starts and waits in async_read_some
    const std::size_t after = heap_in_use();
    std::printf("asio: %zu idle connections, %.0f heap bytes each (client socket + server socket + waiting session)\n",
                connections, static_cast<double>(after - before) / static_cast<double>(connections));
    for (tcp::socket& client : clients) client.close();
    context.run();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--memory") == 0) {
    measure_memory(1000);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
