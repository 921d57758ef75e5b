// Relacy model of an asynchronous I/O operation: the real detail::io_operation_slot (readiness
// vs cancel vs close), the real io_waiter gate (a claim racing the end of await_suspend), and
// the real detail::descriptor_lifetime (close vs system calls in flight).
//
// The kernel is an atomic flag (seq_cst: a system call is a full barrier); a system call on the
// descriptor is a read of a race-checked cell that close writes, so a close that could overlap
// a call is a DATA RACE, and the waiter's frame is a cell the suspending thread writes before
// arming and the resumer reads, so a claim that does not see it is one too.
//
// Invariants: an operation that saw EAGAIN is never left waiting when data arrived (a lost
// wake-up fails the after() check: armed, never resumed); a waiter is resumed exactly once and
// by exactly one party, with the reason of the party that claimed it; the descriptor is closed
// exactly once, never during a call.
//
// Scenarios:
//   arm_vs_readiness      the operation tries, sees nothing, arms; the data arrives and the
//                         driver reports it                                      full search
//   claim_race            an armed waiter finishes suspending while readiness, cancel and
//                         close all try to claim it                              full search
//   cancel_while_arming   the cancel callback runs during arming (the token was canceled
//                         before the registration), readiness races it           full search
//   close_vs_calls        two system calls in flight while close is asked for    full search
//   shutdown_vs_readiness the pool the operation resumes on shuts down (the real
//                         detail::pending_io_waits) while readiness claims the waiter and
//                         a worker runs queued resumptions: exactly one resumption, on the
//                         worker or inline, never queued after shutdown returned
#include <optional>

#include "support/model_runner.hpp"
#include "tpl/detail/descriptor_lifetime.hpp"
#include "tpl/detail/io_operation_slot.hpp"
#include "tpl/detail/pending_io_waits.hpp"

namespace {

using tpl::detail::arm_result;
using tpl::detail::io_operation_slot;
using tpl::detail::io_waiter;
using tpl::detail::io_wake_reason;

// The suspended coroutine: a frame the suspender writes before arming, and what resumed it.
struct model_waiter : io_waiter {
  model_waiter() : io_waiter(&model_waiter::resume_from_claimer) {}
  tpl::sync::cell<int> frame{0};
  tpl::sync::cell<int> resumptions{0};
  tpl::sync::cell<int> resumed_with{-1};

  void resume(io_wake_reason why) {
    RL_ASSERT(frame.load() == 7);  // the frame the suspender wrote is visible to the resumer
    resumptions.store(resumptions.load() + 1);
    resumed_with.store(static_cast<int>(why));
  }
  static void resume_from_claimer(io_waiter* self) {
    auto* me = static_cast<model_waiter*>(self);
    me->resume(me->wake_reason());
  }
};

// The operation's side after EAGAIN, as readiness_awaiter::await_suspend does it: arm, then
// (the registration would be made here) finish suspending; resume inline if the claimer came
// first. Returns what arm said.
arm_result suspend(io_operation_slot& slot, model_waiter& waiter) {
  waiter.frame.store(7);
  const arm_result armed = slot.arm(&waiter);
  if (armed != arm_result::armed) return armed;
  if (waiter.finish_suspending()) waiter.resume(waiter.wake_reason());
  return armed;
}

struct arm_vs_readiness : rl::test_suite<arm_vs_readiness, 2> {
  std::optional<io_operation_slot> slot;
  std::optional<model_waiter> waiter;
  tpl::sync::atomic<bool> kernel_has_data{false};
  bool got_data_directly = false;

  void before() {
    slot.emplace();
    kernel_has_data.store(false, std::memory_order_seq_cst);
    got_data_directly = false;
  }
  void thread(unsigned index) {
    if (index == 0) {
      waiter.emplace();  // the awaiter is built in the suspending coroutine's frame, on its thread
      for (;;) {
        if (kernel_has_data.load(std::memory_order_seq_cst)) {  // the system call
          got_data_directly = true;
          return;
        }
        if (suspend(*slot, *waiter) != arm_result::ready) return;  // armed (or closed): wait
      }
    } else {
      kernel_has_data.store(true, std::memory_order_seq_cst);  // data arrives
      slot->notify_ready();                             // epoll reports it
    }
  }
  void after() {
    // Either the call found the data, or the waiter was resumed by the report: never neither.
    const int resumptions = waiter->resumptions.load();
    RL_ASSERT(got_data_directly ? resumptions == 0 : resumptions == 1);
    if (!got_data_directly) RL_ASSERT(waiter->resumed_with.load() == static_cast<int>(io_wake_reason::ready));
    waiter.reset();
    slot.reset();
  }
};

struct claim_race : rl::test_suite<claim_race, 4> {
  std::optional<io_operation_slot> slot;
  std::optional<model_waiter> waiter;
  bool saw_closed = false;
  // The cancellation registration: the callback (and the waiter's address in it) is published
  // by the registration's own release and read with acquire by the canceling thread, as
  // cancellation_state does; one atomic pointer stands in for it here.
  tpl::sync::atomic<model_waiter*> registered{nullptr};

  void before() {
    slot.emplace();
    saw_closed = false;
    registered.store(nullptr, std::memory_order_relaxed);
  }
  void thread(unsigned index) {
    switch (index) {
      case 0: {
        waiter.emplace();  // in the suspending coroutine's frame, on its thread
        waiter->frame.store(7);
        arm_result armed = slot->arm(&*waiter);
        if (armed == arm_result::ready) armed = slot->arm(&*waiter);  // the retried call saw EAGAIN again
        if (armed == arm_result::closed) {
          saw_closed = true;
          waiter->resume(io_wake_reason::closed);
          return;
        }
        RL_ASSERT(armed == arm_result::armed);  // one report at most: a second arm cannot see `ready`
        registered.store(&*waiter, std::memory_order_release);
        if (waiter->finish_suspending()) waiter->resume(waiter->wake_reason());
        break;
      }
      case 1:
        slot->notify_ready();
        break;
      case 2:
        if (model_waiter* callback_target = registered.load(std::memory_order_acquire)) {
          slot->cancel(callback_target);  // the cancellation callback
        }
        break;
      default:
        slot->close();
        break;
    }
  }
  void after() {
    // close claims a waiter nobody else took, so exactly one resumption happened.
    RL_ASSERT(waiter->resumptions.load() == 1);
    if (saw_closed) RL_ASSERT(waiter->resumed_with.load() == static_cast<int>(io_wake_reason::closed));
    RL_ASSERT(slot->is_closed());
    waiter.reset();
    slot.reset();
  }
};

struct cancel_while_arming : rl::test_suite<cancel_while_arming, 2> {
  std::optional<io_operation_slot> slot;
  std::optional<model_waiter> waiter;

  void before() {
    slot.emplace();
    waiter.emplace();
  }
  void thread(unsigned index) {
    if (index == 0) {
      waiter->frame.store(7);
      if (slot->arm(&*waiter) != arm_result::armed) {
        waiter->resume(io_wake_reason::ready);  // a report came first: the operation retries
        return;
      }
      slot->cancel(&*waiter);  // registration on a canceled token runs the callback at once
      if (waiter->finish_suspending()) waiter->resume(waiter->wake_reason());
    } else {
      slot->notify_ready();
    }
  }
  void after() {
    RL_ASSERT(waiter->resumptions.load() == 1);
    waiter.reset();
    slot.reset();
  }
};

struct close_vs_calls : rl::test_suite<close_vs_calls, 3> {
  std::optional<tpl::detail::descriptor_lifetime> lifetime;
  std::optional<tpl::sync::cell<int>> descriptor_open;  // 1 while the number is ours
  tpl::sync::atomic<int> closes{0};

  void before() {
    lifetime.emplace();
    descriptor_open.emplace(1);
    closes.store(0, std::memory_order_seq_cst);
  }
  void close_number() {
    descriptor_open->store(0);
    closes.fetch_add(1, std::memory_order_seq_cst);
  }
  void thread(unsigned index) {
    if (index < 2) {
      if (!lifetime->begin_call()) return;       // closed: the operation fails with EBADF
      RL_ASSERT(descriptor_open->load() == 1);  // the system call
      if (lifetime->end_call()) close_number();
    } else {
      if (lifetime->ask_close()) close_number();
    }
  }
  void after() {
    RL_ASSERT(closes.load(std::memory_order_seq_cst) == 1);
    RL_ASSERT(descriptor_open->load() == 0);
    descriptor_open.reset();
    lifetime.reset();
  }
};

// An operation waiting to resume on a pool (readiness_awaiter's shape): its claimer queues the
// resumption to the pool, whose queue must still be open; the pool's worker runs it.
struct pool_waiter : io_waiter, tpl::detail::pending_io_wait {
  pool_waiter() : io_waiter(&pool_waiter::queue_resumption), pending_io_wait(&pool_waiter::cancel_for_shutdown) {}
  io_operation_slot* slot = nullptr;
  tpl::sync::cell<int>* queue_closed = nullptr;
  tpl::sync::atomic<bool>* queued = nullptr;
  tpl::sync::cell<int> frame{0};
  tpl::sync::cell<bool> registered{false};
  tpl::sync::cell<int> resumptions{0};
  tpl::sync::cell<int> resumed_with{-1};

  static void queue_resumption(io_waiter* self) {
    auto* me = static_cast<pool_waiter*>(self);
    // The pool's queue takes it only while open: a push after shutdown closed it is finding 3.
    // A read of the cell shutdown writes, so a push not ordered before the close is a data race.
    RL_ASSERT(me->queue_closed->load() == 0);
    me->queued->store(true, std::memory_order_release);  // the queue's lock, in the real pool
  }
  static void cancel_for_shutdown(tpl::detail::pending_io_wait* self) {
    auto* me = static_cast<pool_waiter*>(self);
    me->slot->cancel(me, io_wake_reason::pool_shut_down);
  }
  void resume(tpl::detail::pending_io_waits& pool) {
    RL_ASSERT(frame.load() == 7);
    resumptions.store(resumptions.load() + 1);
    resumed_with.store(static_cast<int>(wake_reason()));
    if (registered.load()) pool.leave(*this);
  }
};

struct shutdown_vs_readiness : rl::test_suite<shutdown_vs_readiness, 4> {
  std::optional<io_operation_slot> slot;
  std::optional<tpl::detail::pending_io_waits> pool;
  std::optional<pool_waiter> waiter;
  tpl::sync::cell<int> queue_closed{0};
  tpl::sync::atomic<bool> queued{false};
  tpl::sync::atomic<bool> done_without_queueing{false};
  bool retried = false;  // arm found the report: the operation would retry its call

  void before() {
    slot.emplace();
    pool.emplace();
    waiter.emplace();
    waiter->slot = &*slot;
    waiter->queue_closed = &queue_closed;
    waiter->queued = &queued;
    queue_closed.store(0);
    queued.store(false, std::memory_order_relaxed);
    done_without_queueing.store(false, std::memory_order_relaxed);
    retried = false;
  }
  void thread(unsigned index) {
    switch (index) {
      case 0: {  // readiness_awaiter::await_suspend
        waiter->frame.store(7);
        arm_result armed = arm_result::closed;
        const bool pool_open = pool->enter(*waiter, [&] {
          armed = slot->arm(&*waiter);
          return armed == arm_result::armed;
        });
        if (!pool_open || armed != arm_result::armed) {
          // Refused (the operation ends canceled at once) or the report came first (it retries).
          retried = true;
          done_without_queueing.store(true, std::memory_order_release);
          return;
        }
        waiter->registered.store(true);
        if (waiter->finish_suspending()) {
          waiter->resume(*pool);  // not suspended after all: goes on inline, and leaves
          done_without_queueing.store(true, std::memory_order_release);
        }
        break;
      }
      case 1:
        slot->notify_ready();
        break;
      case 2:
        pool->cancel_all_and_wait();  // thread_pool::shutdown, then the queue closes
        queue_closed.store(1);
        break;
      default:  // the pool's worker: runs the resumption if one is queued
        for (;;) {
          if (queued.load(std::memory_order_acquire)) {
            waiter->resume(*pool);
            return;
          }
          if (done_without_queueing.load(std::memory_order_acquire)) return;
          tpl::sync::spin_pause();
        }
    }
  }
  void after() {
    RL_ASSERT(waiter->resumptions.load() == (retried ? 0 : 1));
    waiter.reset();
    pool.reset();
    slot.reset();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using tpl::models::make_scenario;
  using tpl::models::search;
  return tpl::models::run_scenarios(
      {
          make_scenario<arm_vs_readiness>("arm_vs_readiness",
                                          "the operation arms after EAGAIN while the data arrives and is reported",
                                          search::full()),
          make_scenario<claim_race>("claim_race", "readiness, cancel and close claim a waiter that is suspending",
                                    search::full(), search::random(1000000)),
          make_scenario<cancel_while_arming>("cancel_while_arming",
                                             "the cancel callback runs inside await_suspend while readiness races",
                                             search::full()),
          make_scenario<close_vs_calls>("close_vs_calls", "close is asked for while two system calls are in flight",
                                        search::full()),
          make_scenario<shutdown_vs_readiness>("shutdown_vs_readiness",
                                               "the pool shuts down while readiness claims a waiter that resumes there",
                                               search::context_bound(3)),
      },
      argc, argv);
}
