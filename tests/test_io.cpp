// tpl::io on loopback: echo round trips at 1,000 connections, peer resets, cancel racing
// completion, close while pending, descriptor exhaustion, no thread per operation, and no
// descriptor leaked by any test (the fixture counts /proc/self/fd before and after).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "support/failing_allocator.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/cancellation_token_source.hpp"
#include "tpl/io.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/when_all.hpp"

namespace {

using namespace std::chrono_literals;
using tpl::io::stream;

std::size_t open_descriptor_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

std::size_t thread_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

// The errno a task failed with (its first exception as a std::system_error), or 0.
template <class T>
int failure_errno(const tpl::task<T>& task) {
  try {
    (void)task.get();
  } catch (const tpl::aggregate_exception& failure) {
    try {
      std::rethrow_exception(failure.inner_exceptions().at(0));
    } catch (const std::system_error& error) {
      return error.code().value();
    } catch (...) {
      return -1;
    }
  }
  return 0;
}

// Waits for `task` to end, however it ends (wait() throws for a canceled or faulted task).
template <class T>
void settle(const tpl::task<T>& task) {
  try {
    task.wait();
  } catch (const tpl::aggregate_exception&) {
  }
}

std::span<std::byte> bytes_of(std::string& text) { return std::as_writable_bytes(std::span(text)); }
std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text)); }

class io_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Start the reactor (its epoll or ring and eventfd descriptors live for the process) before
    // counting. A forced io_uring the kernel refuses (seccomp, io_uring_disabled) skips the suite.
    try {
      auto [reader, writer] = tpl::io::make_pipe();
    } catch (const std::system_error& error) {
      const char* forced = std::getenv("TPL_IO_BACKEND");
      if (forced == nullptr || std::strcmp(forced, "io_uring") != 0) throw;
      refused_ = error.what();
    }
  }
  void SetUp() override {
    if (!refused_.empty()) GTEST_SKIP() << "io_uring is refused here: " << refused_;
    descriptors_before_ = open_descriptor_count();
  }
  void TearDown() override {
    if (refused_.empty()) {
      EXPECT_EQ(open_descriptor_count(), descriptors_before_) << "a descriptor leaked";
    }
  }

 private:
  static inline std::string refused_;
  std::size_t descriptors_before_ = 0;
};

tpl::task<> echo_until_end(stream connection) {
  std::array<std::byte, 4096> buffer{};
  for (;;) {
    const std::size_t got = co_await connection.read_some(buffer);
    if (got == 0) co_return;
    co_await connection.write(std::span<const std::byte>(buffer.data(), got));
  }
}

tpl::task<> serve_echo(tpl::io::listener& server, std::size_t connections) {
  std::vector<tpl::task<>> handlers;
  handlers.reserve(connections);
  for (std::size_t index = 0; index < connections; ++index) {
    handlers.push_back(echo_until_end(co_await server.accept()));
  }
  co_await tpl::when_all(handlers);
}

// One client: sends a message naming it, reads the echo back, checks every byte.
tpl::task<std::size_t> echo_client(tpl::io::endpoint where, std::size_t id, std::size_t size) {
  stream connection = co_await tpl::io::connect_tcp(where);
  std::string message(size, '\0');
  for (std::size_t at = 0; at < size; ++at) message[at] = static_cast<char>('a' + (id + at) % 26);
  co_await connection.write(bytes_of(message));
  std::string echoed(size, '\0');
  co_await connection.read(bytes_of(echoed));
  connection.shutdown(tpl::io::shutdown_kind::send);
  std::array<std::byte, 1> after{};
  const std::size_t extra = co_await connection.read_some(after);  // the server's end of stream
  co_return echoed == message && extra == 0 ? size : 0;
}

TEST_F(io_test, the_backend_is_the_one_the_environment_forces_else_epoll) {
  const std::string backend = tpl::io::backend_name();
  std::printf("backend: %s\n", backend.c_str());
  const char* forced = std::getenv("TPL_IO_BACKEND");
  EXPECT_EQ(backend, forced != nullptr && *forced != '\0' ? forced : "epoll");
}

TEST_F(io_test, echo_round_trips_on_a_thousand_concurrent_connections_account_for_every_byte) {
  // 2 descriptors per connection (both ends are in this process): raise the soft limit if the
  // hard one allows, else use as many connections as fit, and say so.
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlimit original = limit;
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  std::size_t connections = 1000;
  if (limit.rlim_cur < 2 * connections + 100) {
    connections = (limit.rlim_cur - 100) / 2;
    std::printf("descriptor limit %llu: %zu connections\n", static_cast<unsigned long long>(limit.rlim_cur),
                connections);
  }
  constexpr std::size_t message_size = 3000;
  const std::size_t threads_before = thread_count();
  {
    auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
    const tpl::io::endpoint where = server.local_endpoint();
    tpl::task<> serving = serve_echo(server, connections);
    std::vector<tpl::task<std::size_t>> clients;
    clients.reserve(connections);
    for (std::size_t id = 0; id < connections; ++id) clients.push_back(echo_client(where, id, message_size));
    const std::vector<std::size_t> echoed = tpl::when_all(clients).get();
    serving.get();
    std::size_t total = 0;
    for (std::size_t each : echoed) total += each;
    EXPECT_EQ(total, connections * message_size);
  }
  // No thread per connection: the pool (its spares included) and the driver, already running.
  const tpl::thread_pool& pool = tpl::thread_pool::default_pool();
  EXPECT_LE(thread_count(), threads_before + pool.spare_threads_started()) << "threads grew with the connections";
  std::printf("threads: %zu before, %zu after %zu connections\n", threads_before, thread_count(), connections);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);
}

TEST_F(io_test, unix_sockets_and_pipes_move_bytes_through_the_same_stream_type) {
  const std::string path = "/tmp/tpl_io_test_" + std::to_string(::getpid()) + ".sock";
  std::filesystem::remove(path);
  {
    auto server = tpl::io::listener::listen_unix(path);
    tpl::task<stream> accepted = server.accept();
    stream client = tpl::io::connect_unix(path).get();
    stream served = std::move(accepted).get();
    std::string hello = "hello";
    client.write(bytes_of(std::as_const(hello))).get();
    std::string got(5, '\0');
    served.read(bytes_of(got)).get();
    EXPECT_EQ(got, "hello");
  }
  std::filesystem::remove(path);
  auto [reader, writer] = tpl::io::make_pipe();
  const std::string sent = "through a pipe";
  tpl::task<> writing = writer.write(bytes_of(sent));
  std::string received(sent.size(), '\0');
  reader.read(bytes_of(received)).get();
  writing.get();
  EXPECT_EQ(received, sent);
  writer.close();
  std::array<std::byte, 1> one{};
  EXPECT_EQ(reader.read_some(one).get(), 0u) << "a closed write end is the reader's end of stream";
}

// A connected TCP pair on loopback: (client, served).
std::pair<stream, stream> tcp_pair() {
  auto server = tpl::io::listener::listen_tcp({"localhost", 0});
  tpl::task<stream> accepted = server.accept();
  stream client = tpl::io::connect_tcp(server.local_endpoint()).get();
  return {std::move(client), std::move(accepted).get()};
}

void reset_on_close(stream& connection) {
  const linger abortive{1, 0};  // close sends RST instead of FIN
  ASSERT_EQ(::setsockopt(connection.native_handle(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive), 0);
}

TEST_F(io_test, a_peer_reset_mid_read_fails_the_read_with_econnreset) {
  auto [client, served] = tcp_pair();
  std::array<std::byte, 16> buffer{};
  tpl::task<std::size_t> reading = served.read_some(buffer);
  EXPECT_FALSE(reading.is_completed()) << "nothing was sent: the read must be pending, on no thread";
  reset_on_close(client);
  client.close();
  EXPECT_EQ(failure_errno(reading), ECONNRESET);
}

TEST_F(io_test, a_peer_reset_mid_write_fails_the_write_with_epipe_or_econnreset) {
  auto [client, served] = tcp_pair();
  const std::string big(32 << 20, 'x');  // more than loopback buffers hold: the write waits
  tpl::task<> writing = served.write(bytes_of(big));
  reset_on_close(client);
  client.close();
  const int error = failure_errno(writing);
  EXPECT_TRUE(error == EPIPE || error == ECONNRESET) << "errno " << error;
}

TEST_F(io_test, a_refused_connection_is_econnrefused) {
  tpl::io::endpoint nowhere;
  {
    auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
    nowhere = server.local_endpoint();
  }  // closed: nothing listens there now
  EXPECT_EQ(failure_errno(tpl::io::connect_tcp(nowhere)), ECONNREFUSED);
}

TEST_F(io_test, cancel_racing_completion_loses_no_byte_and_completes_every_read_once) {
  auto [reader, writer] = tpl::io::make_socket_pair();
  constexpr int rounds = 100000;
  int received = 0;
  int canceled = 0;
  const std::byte one_byte{1};
  for (int round = 0; round < rounds; ++round) {
    // A byte a canceled read left behind is counted now, so that this round's read waits.
    std::byte left_over{};
    while (::recv(reader.native_handle(), &left_over, 1, MSG_DONTWAIT) == 1) ++received;
    tpl::cancellation_token_source source;
    std::array<std::byte, 1> buffer{};
    tpl::task<std::size_t> reading = reader.read_some(buffer, source.token());
    ASSERT_FALSE(reading.is_completed()) << "round " << round << ": the read must wait for the race";
    // The byte and the cancel race: the write on a pool thread, the cancel here.
    tpl::task<> writing = tpl::run([&] { ASSERT_EQ(::write(writer.native_handle(), &one_byte, 1), 1); });
    source.cancel();
    writing.get();
    settle(reading);
    if (reading.is_canceled()) {
      ++canceled;
    } else {
      ASSERT_EQ(reading.get(), 1u);
      ++received;
    }
  }
  // The last round's left-over byte, if any: every byte arrives exactly once.
  writer.close();
  std::array<std::byte, 4096> rest{};
  for (;;) {
    const std::size_t got = reader.read_some(rest).get();
    if (got == 0) break;
    received += static_cast<int>(got);
  }
  EXPECT_EQ(received, rounds);
  std::printf("%d rounds: %d reads canceled, %d got their byte\n", rounds, canceled, rounds - canceled);
}

TEST_F(io_test, a_peer_closing_in_the_middle_of_an_exact_read_is_end_of_stream_with_the_count) {
  auto [client, served] = tcp_pair();
  std::string wanted(10, '\0');
  tpl::task<> reading = served.read(bytes_of(wanted));
  std::string partial = "abc";
  client.write(bytes_of(std::as_const(partial))).get();
  client.close();
  try {
    reading.get();
    FAIL() << "read() of 10 bytes completed with only 3 sent";
  } catch (const tpl::aggregate_exception& failure) {
    try {
      std::rethrow_exception(failure.inner_exceptions().at(0));
    } catch (const tpl::io::end_of_stream& end) {
      EXPECT_EQ(end.bytes_read(), 3u);
      EXPECT_EQ(end.bytes_wanted(), 10u);
    }
  }
  EXPECT_EQ(wanted.substr(0, 3), "abc");
}

TEST_F(io_test, a_canceled_accept_ends_canceled_and_the_listener_accepts_again) {
  auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
  tpl::cancellation_token_source source;
  tpl::task<stream> accepting = server.accept(source.token());
  EXPECT_FALSE(accepting.is_completed());
  source.cancel();
  settle(accepting);
  EXPECT_TRUE(accepting.is_canceled());
  tpl::task<stream> next = server.accept();
  stream client = tpl::io::connect_tcp(server.local_endpoint()).get();
  stream served = std::move(next).get();
  EXPECT_TRUE(served.is_open());
}

TEST_F(io_test, a_timeout_cancels_a_read_that_never_gets_data_and_leaves_the_stream_usable) {
  auto [client, served] = tcp_pair();
  std::array<std::byte, 4> buffer{};
  auto deadline = tpl::io::with_timeout(tpl::cancellation_token::none(), 20ms);
  tpl::task<std::size_t> reading = served.read_some(buffer, deadline.token());
  settle(reading);
  EXPECT_TRUE(reading.is_canceled());
  std::string ping = "ping";
  client.write(bytes_of(std::as_const(ping))).get();
  EXPECT_EQ(served.read_some(buffer).get(), 4u) << "after a canceled read_some the stream still works";
}

TEST_F(io_test, closing_a_stream_ends_its_pending_read_with_ecanceled_and_later_ones_with_ebadf) {
  auto [client, served] = tcp_pair();
  std::array<std::byte, 4> buffer{};
  tpl::task<std::size_t> reading = served.read_some(buffer);
  served.close();
  EXPECT_EQ(failure_errno(reading), ECANCELED);
  EXPECT_EQ(failure_errno(served.read_some(buffer)), EBADF);
  EXPECT_FALSE(served.is_open());
  EXPECT_EQ(served.native_handle(), -1);
}

// Issue 30, finding 5: stream.hpp promises 0 for an empty buffer, but on a TCP or Unix socket
// recv(2) of 0 bytes says EAGAIN while nothing is queued, so the read waited for the peer.
TEST_F(io_test, read_some_with_an_empty_buffer_returns_zero_at_once_on_every_stream_kind) {
  auto [client, served] = tcp_pair();
  auto [unix_reader, unix_writer] = tpl::io::make_socket_pair();
  auto [pipe_reader, pipe_writer] = tpl::io::make_pipe();
  for (stream* each : {&served, &unix_reader, &pipe_reader}) {
    tpl::task<std::size_t> reading = each->read_some(std::span<std::byte>());
    ASSERT_TRUE(reading.is_completed()) << "an empty read waited for the peer";
    EXPECT_EQ(reading.get(), 0u);
  }
  std::array<std::byte, 4> buffer{};
  tpl::task<std::size_t> real_read = served.read_some(buffer);  // the stream still reads
  std::string ping = "ping";
  client.write(bytes_of(std::as_const(ping))).get();
  EXPECT_EQ(real_read.get(), 4u);
}

// Issue 30, finding 2: close() is noexcept, and under allocation failure a path inside it
// allocated (retiring the descriptor to the epoll driver; queueing the woken operation's
// resumption), which terminated the process. Every close must go through, every pending read
// end with ECANCELED on the pool (not inline on the closing thread), every descriptor be closed.
TEST_F(io_test, closing_streams_while_allocations_fail_ends_their_reads_and_closes_every_descriptor) {
  if (!tpl_scenarios::injection_available()) GTEST_SKIP() << "operator new cannot be replaced under ThreadSanitizer";
  constexpr std::size_t count = 300;  // more than one block of the global queue, and of a retire list
  std::vector<stream> writers;
  std::vector<stream> readers;
  std::vector<tpl::task<std::size_t>> reads;
  std::array<std::byte, 4> buffer{};
  for (std::size_t index = 0; index < count; ++index) {
    auto [reader, writer] = tpl::io::make_socket_pair();
    readers.push_back(std::move(reader));
    writers.push_back(std::move(writer));
  }
  for (stream& reader : readers) reads.push_back(reader.read_some(buffer));
  tpl_scenarios::fail_every_allocation_on_this_thread(true);
  for (stream& reader : readers) reader.close();
  tpl_scenarios::fail_every_allocation_on_this_thread(false);
  for (tpl::task<std::size_t>& reading : reads) EXPECT_EQ(failure_errno(reading), ECANCELED);
}

// Issue 30, finding 1: a forked child shares its parent's epoll instance or io_uring ring (the
// descriptor, and the ring's shared mapping). A child that used tpl::io registered its own
// pointers there, and the parent's driver dereferenced them. The child now gets a clear error;
// the parent's I/O goes on.
TEST_F(io_test, a_forked_child_gets_a_clear_error_from_tpl_io_and_the_parent_keeps_its_io) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 3;  // no error at all: the child used its parent's reactor
    try {
      auto [reader, writer] = tpl::io::make_pipe();
    } catch (const tpl::invalid_operation& error) {
      code = std::strstr(error.what(), "fork") != nullptr ? 0 : 4;
    } catch (...) {
      code = 5;
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: no error; 4: an error that does not say fork; 5: another exception";
  auto [reader, writer] = tpl::io::make_socket_pair();
  std::array<std::byte, 4> buffer{};
  tpl::task<std::size_t> reading = reader.read_some(buffer);
  std::string ping = "ping";
  writer.write(bytes_of(std::as_const(ping))).get();
  EXPECT_EQ(reading.get(), 4u);
}

// A read awaited from a worker of `pool`: its wait resumes there. `resumed_on_pool` records
// whether the coroutine went on on one of that pool's workers after the read ended.
// `reading` is set just before the read starts (the read then waits, or, if the pool's
// shutdown came first, is refused: both must end canceled on the pool).
tpl::task<std::size_t> read_on(tpl::thread_pool& pool, stream& from, std::span<std::byte> buffer,
                               std::atomic<int>& resumed_on_pool, std::atomic<bool>& reading) {
  co_await pool.schedule();
  reading = true;
  reading.notify_all();
  try {
    const std::size_t got = co_await from.read_some(buffer);
    resumed_on_pool = pool.current_worker() != nullptr ? 1 : 0;
    co_return got;
  } catch (...) {
    resumed_on_pool = pool.current_worker() != nullptr ? 1 : 0;
    throw;
  }
}

// Issue 30, finding 3: a read waiting on a pool that was then shut down was resumed, when data
// came, on the I/O driver's thread (the shut-down pool refused the resumption, and it ran
// inline); a blocking wait there would have stopped all I/O. The rule now: shutdown ends the
// pool's pending I/O waits canceled, on the pool's own workers, before it stops taking work.
TEST_F(io_test, shutting_down_a_pool_ends_its_pending_reads_canceled_on_its_own_workers) {
  auto [reader, writer] = tpl::io::make_socket_pair();
  std::array<std::byte, 4> buffer{};
  std::atomic<int> resumed_on_pool{-1};
  std::atomic<bool> started{false};
  tpl::thread_pool pool(1);
  tpl::task<std::size_t> reading = read_on(pool, reader, buffer, resumed_on_pool, started);
  started.wait(false);
  pool.shutdown();
  ASSERT_TRUE(reading.is_completed()) << "shutdown returned with a read still waiting on the pool";
  EXPECT_TRUE(reading.is_canceled());
  EXPECT_EQ(resumed_on_pool.load(), 1) << "the canceled read went on outside the pool";
  std::string ping = "ping";
  writer.write(bytes_of(std::as_const(ping))).get();  // nobody waits for it now
  EXPECT_EQ(reader.read_some(buffer).get(), 4u) << "the canceled read consumed nothing";
}

// Issue 30, finding 4: destroying a pool while an I/O wait on it was pending left the wait
// naming the freed pool; data arriving later was a heap-use-after-free. The destructor shuts the
// pool down, which now ends the wait first.
TEST_F(io_test, destroying_a_pool_ends_its_pending_reads_before_the_pool_is_gone) {
  auto [reader, writer] = tpl::io::make_socket_pair();
  std::array<std::byte, 4> buffer{};
  std::atomic<int> resumed_on_pool{-1};
  std::atomic<bool> started{false};
  tpl::task<std::size_t> reading;
  {
    tpl::thread_pool pool(2);
    reading = read_on(pool, reader, buffer, resumed_on_pool, started);
    started.wait(false);
  }
  ASSERT_TRUE(reading.is_completed()) << "the pool was destroyed with a read still waiting on it";
  EXPECT_TRUE(reading.is_canceled());
  EXPECT_EQ(resumed_on_pool.load(), 1);
  std::string ping = "ping";
  writer.write(bytes_of(std::as_const(ping))).get();  // before the fix: resumes into the freed pool
  EXPECT_EQ(reader.read_some(buffer).get(), 4u);
}

TEST_F(io_test, a_second_concurrent_read_is_refused) {
  auto [client, served] = tcp_pair();
  std::array<std::byte, 4> buffer{};
  tpl::task<std::size_t> first = served.read_some(buffer);
  EXPECT_THROW((void)served.read_some(buffer).get(), tpl::aggregate_exception);
  client.close();
  EXPECT_EQ(first.get(), 0u);
}

TEST_F(io_test, adopting_a_regular_file_is_refused_with_eperm_and_the_descriptor_is_closed) {
  const int file = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(file, 0);
  try {
    stream adopted(file);
    FAIL() << "a regular file was adopted";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EPERM);
  }
  // The fixture's descriptor count checks that the refused descriptor was closed.
}

TEST_F(io_test, names_are_refused_numeric_addresses_accepted) {
  EXPECT_THROW((void)tpl::io::listener::listen_tcp({"example.com", 0}), std::invalid_argument);
  auto server = tpl::io::listener::listen_tcp({"::1", 0});
  EXPECT_EQ(server.local_endpoint().address, "::1");
}

TEST_F(io_test, out_of_descriptors_accept_fails_with_emfile_and_serves_again_once_some_free) {
  auto server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
  stream client = tpl::io::connect_tcp(server.local_endpoint()).get();  // queued, not accepted
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlimit original = limit;
  limit.rlim_cur = open_descriptor_count() + 8;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  std::vector<int> fillers;
  for (;;) {
    const int filler = ::dup(STDERR_FILENO);
    if (filler < 0) break;
    fillers.push_back(filler);
  }
  EXPECT_EQ(failure_errno(server.accept()), EMFILE);
  for (int filler : fillers) ::close(filler);
  stream served = server.accept().get();  // the connection waited in the backlog
  std::string ping = "ping";
  client.write(bytes_of(std::as_const(ping))).get();
  std::string got(4, '\0');
  served.read(bytes_of(got)).get();
  EXPECT_EQ(got, "ping");
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);
}

}  // namespace
