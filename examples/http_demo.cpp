// The seeds' scenario in C++: an HTTP/1.1 client fetches pages concurrently, and while the
// requests are in flight no thread waits on any of them. A small server on 127.0.0.1 answers
// them; one request goes to a page that takes ten seconds and is canceled by a 200 ms timeout.
//
// Every read, write, accept and connect below returns an incomplete task when the kernel has
// nothing yet; an idle pool worker waiting on the reactor turns epoll's report into the
// coroutine's resumption on the pool. The threads printed at the end (by name) do not depend on the number of requests.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tpl/cancellation_token_source.hpp"
#include "tpl/delay.hpp"
#include "tpl/io.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/when_all.hpp"

namespace {

using namespace std::chrono_literals;
using tpl::io::stream;

std::size_t thread_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

// "main, 2 tpl-worker": the process's threads by name (tpl names its own; it has no I/O or timer
// thread: the workers poll the reactor).
std::string thread_names() {
  std::map<std::string, int> counts;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    std::getline(comm, name);
    ++counts[entry.path().filename() == std::to_string(::getpid()) ? std::string("main") : name];
  }
  std::string text;
  for (const auto& [name, count] : counts) {
    if (!text.empty()) text += ", ";
    text += count > 1 ? std::to_string(count) + " " + name : name;
  }
  return text;
}

tpl::task<> write_text(stream& connection, std::string_view text, tpl::cancellation_token token = {}) {
  co_await connection.write(std::as_bytes(std::span(text.data(), text.size())), token);
}

// Reads until the blank line that ends an HTTP head (the demo's requests have no body).
tpl::task<std::string> read_head(stream& connection, tpl::cancellation_token token) {
  std::string head;
  std::array<std::byte, 1024> buffer{};
  while (head.find("\r\n\r\n") == std::string::npos) {
    const std::size_t got = co_await connection.read_some(buffer, token);
    if (got == 0) break;
    head.append(reinterpret_cast<const char*>(buffer.data()), got);
  }
  co_return head;
}

// --- the server -------------------------------------------------------------------------------

tpl::task<> answer(stream connection, tpl::cancellation_token stopping) {
  const std::string head = co_await read_head(connection, stopping);
  const std::size_t path_start = head.find(' ') + 1;
  const std::string path = head.substr(path_start, head.find(' ', path_start) - path_start);
  if (path == "/slow") co_await tpl::delay(10s, stopping);  // a page that takes its time
  const std::string body = "<html><body>You asked for " + path + "</body></html>\n";
  co_await write_text(connection, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  // A parameter lives as long as the coroutine's frame, which the task handle keeps: close
  // now so that the client sees the end of the response.
  connection.close();
}

tpl::task<> serve(tpl::io::listener& server, tpl::cancellation_token stopping) {
  std::vector<tpl::task<>> answers;
  try {
    for (;;) answers.push_back(answer(co_await server.accept(stopping), stopping));
  } catch (const tpl::operation_canceled&) {
  }
  for (const tpl::task<>& each : answers) {
    try {
      co_await each;
    } catch (const tpl::operation_canceled&) {
      std::printf("server: an answer was still pending at shutdown and was canceled\n");
    }
  }
}

// --- the client: GetStringAsync ---------------------------------------------------------------

tpl::task<std::string> get_string(tpl::io::endpoint server, std::string path, tpl::cancellation_token token) {
  stream connection = co_await tpl::io::connect_tcp(server, token);
  co_await write_text(connection, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", token);
  std::string response;
  std::array<std::byte, 4096> buffer{};
  for (;;) {
    const std::size_t got = co_await connection.read_some(buffer, token);
    if (got == 0) break;  // Connection: close, so the end of the stream ends the response
    response.append(reinterpret_cast<const char*>(buffer.data()), got);
  }
  co_return response.substr(response.find("\r\n\r\n") + 4);
}

tpl::task<> client(tpl::io::endpoint server, std::size_t pages) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };

  std::vector<tpl::task<std::string>> fetches;
  for (std::size_t page = 1; page <= pages; ++page) {
    fetches.push_back(get_string(server, "/page/" + std::to_string(page), {}));
  }
  std::size_t incomplete = 0;
  for (const auto& each : fetches) incomplete += each.is_completed() ? 0 : 1;
  std::printf("client: %zu GETs started; %zu returned incomplete tasks, and no thread waits on them\n", pages,
              incomplete);

  auto timeout = tpl::io::with_timeout(tpl::cancellation_token::none(), 200ms);
  tpl::task<std::string> slow = get_string(server, "/slow", timeout.token());

  const std::vector<std::string> bodies = co_await tpl::when_all(fetches);
  std::printf("client: all %zu pages arrived after %.1f ms\n", bodies.size(), elapsed_ms());
  for (std::size_t index = 0; index < bodies.size(); ++index) {
    std::printf("  /page/%zu -> %s", index + 1, bodies[index].c_str());
  }
  try {
    (void)co_await slow;
    std::printf("client: /slow answered (unexpected)\n");
  } catch (const tpl::operation_canceled&) {
    std::printf("client: /slow canceled by its 200 ms timeout after %.1f ms\n", elapsed_ms());
  }
}

}  // namespace

int main() {
  constexpr std::size_t pages = 8;
  const std::size_t threads_at_start = thread_count();
  auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
  const tpl::io::endpoint where = server.local_endpoint();
  std::printf("server: listening on %s:%u\n", where.address.c_str(), static_cast<unsigned>(where.port));

  tpl::cancellation_token_source stopping;
  tpl::task<> serving = serve(server, stopping.token());
  client(where, pages).get();

  std::printf("threads: %zu at start, %zu now (%s), for %zu connections\n", threads_at_start, thread_count(),
              thread_names().c_str(), pages + 1);
  stopping.cancel();
  serving.get();
  std::printf("server: stopped\n");
  return 0;
}
