// Relacy model of an operation the kernel performs (io_uring's completion-based receive): the
// shipped detail::io_completion_target (the result, the gate it shares with the readiness slots,
// the cancel reason) against a mock kernel that completes the request or cancels it,
// nondeterministically, once a cancel was asked for.
//
// The kernel is seq_cst atomics (a system call is a full barrier): `submitted` (the request
// entered the ring), `cancel_asked` (an ASYNC_CANCEL entered it). The operation's buffer is a
// race-checked cell the kernel writes when it moves the byte: a resumption that could read it
// while the kernel may still write it is a DATA RACE, which is the buffer-ownership rule of
// docs/io.md ("the operation never resumes while the kernel may still write into it").
//
// Invariants: the operation resumes exactly once, after the completion, with the frame it wrote
// before submitting; a -ECANCELED result consumed nothing (the byte is still the kernel's) and
// carries the reason of the first canceller; a result of 1 byte is the byte, delivered once.
//
// Scenarios:
//   completion_vs_cancel    the suspender finishes while the kernel completes and the token's
//                           callback cancels                                     full search
//   two_cancellers          the token and the pool's shutdown both cancel: one reason wins,
//                           and the kernel is asked once                         full search
#include <cerrno>
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/detail/io_completion_target.hpp"

namespace {

using tpl::detail::io_completion_target;
using tpl::detail::io_waiter;
using tpl::detail::io_wake_reason;

struct model_operation : io_completion_target {
  model_operation() : io_completion_target(&model_operation::resume_from_completion) {}
  tpl::sync::cell<int> frame{0};
  tpl::sync::cell<int> buffer{0};  // the kernel writes the received byte here
  tpl::sync::cell<int> resumptions{0};
  tpl::sync::cell<int> resumed_result{0};
  tpl::sync::cell<int> received{0};

  void resume() {
    RL_ASSERT(frame.load() == 7);  // what the suspender wrote before submitting
    resumptions.store(resumptions.load() + 1);
    const int got = result();
    resumed_result.store(got);
    if (got == 1) received.store(buffer.load());  // the buffer is the operation's again
  }
  static void resume_from_completion(io_waiter* self) { static_cast<model_operation*>(self)->resume(); }
};

// The mock kernel: the request, the cancels asked for, and whether the byte was consumed.
struct mock_kernel {
  tpl::sync::atomic<bool> submitted{false};
  tpl::sync::atomic<int> cancels_asked{0};
  bool consumed = false;  // the kernel thread's own

  // The kernel's side: once the request is in the ring, complete it: with the byte, or, if a
  // cancel was asked for, possibly with -ECANCELED (whichever the kernel got to first).
  void run(model_operation& operation) {
    while (!submitted.load(std::memory_order_seq_cst)) tpl::sync::spin_pause();
    const bool cancel_seen = cancels_asked.load(std::memory_order_seq_cst) != 0;
    if (cancel_seen && rl::rand(2) == 0) {
      operation.complete(-ECANCELED);  // canceled before it moved anything
      return;
    }
    operation.buffer.store(42);  // the receive writes into the operation's buffer
    consumed = true;
    operation.complete(1);
  }
};

// The suspender, as completion_awaiter::await_suspend: the frame, the submission, then the
// gate (its registration with the token is the canceller thread's start here).
void suspend(model_operation& operation, mock_kernel& kernel) {
  operation.frame.store(7);
  kernel.submitted.store(true, std::memory_order_seq_cst);  // io_uring_enter
  if (operation.finish_suspending()) operation.resume();     // the completion came first
}

void cancel(model_operation& operation, mock_kernel& kernel, io_wake_reason why) {
  if (operation.request_cancel(why)) kernel.cancels_asked.fetch_add(1, std::memory_order_seq_cst);  // ASYNC_CANCEL
}

void check_outcome(model_operation& operation, mock_kernel& kernel) {
  RL_ASSERT(operation.resumptions.load() == 1);
  const int got = operation.resumed_result.load();
  if (got == -ECANCELED) {
    RL_ASSERT(!kernel.consumed);  // a canceled receive consumed nothing
  } else {
    RL_ASSERT(got == 1 && kernel.consumed && operation.received.load() == 42);
  }
}

// Each scenario's operation and kernel, fresh for every execution.
struct operation_fixture {
  std::optional<model_operation> operation;
  std::optional<mock_kernel> kernel;

  void create() {
    operation.emplace();
    kernel.emplace();
  }
  void check_and_reset() {
    check_outcome(*operation, *kernel);
    RL_ASSERT(kernel->cancels_asked.load(std::memory_order_relaxed) == 1);  // the kernel is asked once
    operation.reset();
    kernel.reset();
  }
};

struct completion_vs_cancel : rl::test_suite<completion_vs_cancel, 3>, operation_fixture {
  void before() { create(); }
  void thread(unsigned index) {
    if (index == 0) {
      suspend(*operation, *kernel);
    } else if (index == 1) {
      kernel->run(*operation);
    } else {
      cancel(*operation, *kernel, io_wake_reason::canceled);
    }
  }
  void after() {
    if (operation->resumed_result.load() == -ECANCELED) {
      RL_ASSERT(operation->cancel_reason() == io_wake_reason::canceled);
    }
    check_and_reset();
  }
};

struct two_cancellers : rl::test_suite<two_cancellers, 4>, operation_fixture {
  void before() { create(); }
  void thread(unsigned index) {
    switch (index) {
      case 0:
        suspend(*operation, *kernel);
        break;
      case 1:
        kernel->run(*operation);
        break;
      case 2:
        cancel(*operation, *kernel, io_wake_reason::canceled);
        break;
      default:
        cancel(*operation, *kernel, io_wake_reason::pool_shut_down);
        break;
    }
  }
  void after() {
    const io_wake_reason reason = operation->cancel_reason();
    RL_ASSERT(reason == io_wake_reason::canceled || reason == io_wake_reason::pool_shut_down);
    check_and_reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<completion_vs_cancel>("completion_vs_cancel",
                                              "the suspender finishes while the kernel completes and a cancel races",
                                              search::full()),
          make_scenario<two_cancellers>("two_cancellers",
                                        "the token and the pool's shutdown cancel one request the kernel completes",
                                        search::full()),
      },
      argc, argv);
}
