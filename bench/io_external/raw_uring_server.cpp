// Reference server: the least a completion-based server does per request, the physical limit
// tpl's I/O is measured against. One thread per worker, each with its own ring
// (SINGLE_ISSUER | DEFER_TASKRUN where the kernel has them) and SO_REUSEPORT listener: a
// multishot accept, one recv in flight per connection, the reply sent as soon as the recv
// completes (a short send continues from its completion), and one io_uring_submit_and_wait per
// loop turn for every submission and wait at once. No readiness round trip: the ring does the
// recv and the send.
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "listen_socket.hpp"
#include "wire.hpp"

namespace {

constexpr unsigned ring_entries = 4096;
constexpr std::size_t receive_size = 16384;

enum operation : std::uint64_t { accept_op = 0, receive_op = 1, send_op = 2 };

struct connection {
  int descriptor = -1;
  char incoming[receive_size];
  std::string outgoing;    // the reply in flight
  std::size_t sent = 0;    // of outgoing
  bool sending = false;
  std::string queued;      // replies to requests that came while a send was in flight
  io_bench::request_counter requests;
};

std::uint64_t tag(connection* each, operation op) { return reinterpret_cast<std::uint64_t>(each) | op; }

class server {
 public:
  server(int listener, io_bench::mode workload) : listener_(listener), workload_(workload) {
    io_uring_params params{};
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (::io_uring_queue_init_params(ring_entries, &ring_, &params) < 0) {
      params = {};  // an older kernel: the plain ring
      const int result = ::io_uring_queue_init_params(ring_entries, &ring_, &params);
      if (result < 0) {
        std::fprintf(stderr, "io_uring_queue_init: %s\n", std::strerror(-result));
        std::exit(1);
      }
    }
  }

  void run() {
    arm_accept();
    for (;;) {
      const int result = ::io_uring_submit_and_wait(&ring_, 1);
      if (result < 0 && result != -EINTR) {
        std::fprintf(stderr, "io_uring_submit_and_wait: %s\n", std::strerror(-result));
        std::exit(1);
      }
      io_uring_cqe* completion = nullptr;
      unsigned head = 0;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, completion) {
        ++seen;
        handle(completion->user_data, completion->res, completion->flags);
      }
      ::io_uring_cq_advance(&ring_, seen);
    }
  }

 private:
  io_uring_sqe* entry() {
    for (;;) {
      if (io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_)) return sqe;
      (void)::io_uring_submit(&ring_);
    }
  }
  void arm_accept() {
    io_uring_sqe* sqe = entry();
    ::io_uring_prep_multishot_accept(sqe, listener_, nullptr, nullptr, SOCK_CLOEXEC);
    ::io_uring_sqe_set_data64(sqe, accept_op);
  }
  void arm_receive(connection* each) {
    io_uring_sqe* sqe = entry();
    ::io_uring_prep_recv(sqe, each->descriptor, each->incoming, receive_size, 0);
    ::io_uring_sqe_set_data64(sqe, tag(each, receive_op));
  }
  void arm_send(connection* each) {
    io_uring_sqe* sqe = entry();
    ::io_uring_prep_send(sqe, each->descriptor, each->outgoing.data() + each->sent, each->outgoing.size() - each->sent,
                         MSG_NOSIGNAL);
    ::io_uring_sqe_set_data64(sqe, tag(each, send_op));
  }
  void reply(connection* each, const char* data, std::size_t size) {
    if (each->sending) {
      each->queued.append(data, size);
      return;
    }
    each->outgoing.assign(data, size);
    each->sent = 0;
    each->sending = true;
    arm_send(each);
  }
  void finish(connection* each) {
    if (each->sending) {
      each->descriptor = -1;  // the send's completion frees it
      return;
    }
    delete each;
  }

  void handle(std::uint64_t data, int result, unsigned flags) {
    const auto op = static_cast<operation>(data & 3);
    if (op == accept_op) {
      if (result >= 0) {
        io_bench::set_no_delay(result);
        auto* each = new connection;
        each->descriptor = result;
        arm_receive(each);
      }
      if ((flags & IORING_CQE_F_MORE) == 0) arm_accept();  // the multishot ended: arm it again
      return;
    }
    auto* each = reinterpret_cast<connection*>(data & ~std::uint64_t{3});
    if (op == receive_op) {
      if (result <= 0) {
        ::close(each->descriptor);
        return finish(each);
      }
      const auto got = static_cast<std::size_t>(result);
      if (workload_ == io_bench::mode::echo) {
        reply(each, each->incoming, got);
      } else if (const std::size_t complete = each->requests.feed(each->incoming, got)) {
        std::string replies;
        for (std::size_t index = 0; index < complete; ++index) replies.append(io_bench::http_response);
        reply(each, replies.data(), replies.size());
      }
      arm_receive(each);
      return;
    }
    // send_op
    if (each->descriptor < 0 || result < 0) {
      each->sending = false;
      if (each->descriptor < 0) delete each;
      return;
    }
    each->sent += static_cast<std::size_t>(result);
    if (each->sent < each->outgoing.size()) return arm_send(each);
    each->sending = false;
    if (!each->queued.empty()) {
      std::string next;
      next.swap(each->queued);
      reply(each, next.data(), next.size());
    }
  }

  io_uring ring_{};
  int listener_;
  io_bench::mode workload_;
};

void serve(int listener, io_bench::mode workload) { server(listener, workload).run(); }

}  // namespace

int main(int argc, char** argv) { return io_bench::run_reference_server(argc, argv, serve); }
