/// \file
/// tpl::thread_pool — a work-stealing pool: one Chase-Lev deque per worker plus a global queue.
///
/// Scheduling. Work submitted from a thread that is not one of the pool's workers goes to the
/// global queue (FIFO). Work a worker submits or forks goes to its own deque. A worker takes
/// its own newest item first (LIFO), then the oldest item of the global queue, then steals the
/// oldest item (FIFO) of another worker, visiting the others round-robin from a random start
/// so that no deque is starved of thieves.
///
/// Idle workers look for work a few dozen times (pausing, then yielding the core), then sleep
/// on a two-phase event count that cannot lose a wake-up (detail/idle_sleeper.hpp, modelled in
/// models/model_pool_sleep.cpp); a sleeping pool uses no CPU.
///
/// Waiting inside a worker (a join, a task's get()). The worker runs only the wait's own subtree
/// (items it pushed after the wait began, the awaited item itself), never unrelated work nested
/// on its stack; then it parks on its own parker and a spare thread (at most
/// options.max_spare_threads) runs the pool's work in its place, retiring when no longer needed.
/// docs/pool.md states the rule and its cost; models/model_pool.cpp runs this code under Relacy.
///
/// Shutdown. shutdown() (and the destructor) stops accepting external submissions, lets the
/// workers finish everything already queued (including work that queued work forks), then
/// joins them.
/// submit() from outside the pool after shutdown began throws tpl::invalid_operation; work is
/// never dropped silently. Destroying a pool from one of its own workers is a contract
/// violation reported before std::terminate (it would wait for itself).
///
/// Exceptions. An exception escaping a submitted callable goes to the pool's unhandled-exception
/// handler; the default reports it on stderr and calls std::terminate, as .NET does for an
/// unhandled exception on a thread-pool thread. Fork-join helpers (parallel.hpp) collect their
/// bodies' exceptions themselves and rethrow them to the caller.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/config.hpp"
#include "tpl/detail/pending_io_waits.hpp"
#include "tpl/detail/pool_access.hpp"
#include "tpl/detail/pool_intake.hpp"
#include "tpl/detail/pool_scheduling_awaitable.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/detail/basic_exceptions.hpp"

namespace tpl {

/// Per-worker statistics, read while the pool runs (values may be slightly behind).
struct worker_counters {
  std::uint64_t executed = 0;  ///< items this worker ran (any source)
  std::uint64_t stolen = 0;    ///< of those, taken from another worker's deque
  std::uint64_t slept = 0;     ///< times it went to sleep for lack of work
  std::uint64_t woken = 0;     ///< times it woke up again
  std::uint64_t parked = 0;    ///< times a wait (join, get()) parked it while a spare ran the pool's work
  int deepest_help = 0;        ///< deepest nesting of work it ran inside a wait (its own subtree only)
};

class thread_pool {
 public:
  using exception_handler = std::function<void(std::exception_ptr)>;
  /// Test hook: called on the worker's thread just before it runs an item.
  using schedule_observer = std::function<void(std::size_t worker_index, work_source source)>;

  struct options {
    std::size_t worker_count = 0;  ///< 0: std::thread::hardware_concurrency(), at least 1
    exception_handler on_unhandled_exception;  ///< empty: report on stderr and std::terminate
    schedule_observer observer;                ///< empty: none; an exception it throws goes to the handler
    /// At most this many spare threads run the pool's work while workers are parked in waits
    /// (docs/pool.md). 0: config::max_spare_threads.
    std::size_t max_spare_threads = 0;
    /// false: no spare threads at all; a worker that blocks in a wait leaves its pool one thread
    /// short, and a pool whose workers all block stalls (tpl::diagnostics reports it when the
    /// wait is for work queued behind it, `<tpl/deadlock_report.hpp>`).
    bool allow_spare_threads = true;
  };

  thread_pool() : thread_pool(options{}) {}
  explicit thread_pool(std::size_t worker_count) : thread_pool(options{worker_count, {}, {}, 0}) {}
  explicit thread_pool(options settings);
  ~thread_pool();

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Stops accepting work from outside, runs everything queued, joins the workers. The
  /// destructor does this; calling it earlier is allowed, from any thread outside the pool, and
  /// a second call (concurrent or later) returns once the first has finished.
  /// Throws tpl::invalid_operation when called from one of the pool's own workers.
  void shutdown();

  /// The process-wide pool, created on first use with one worker per hardware thread.
  static thread_pool& default_pool();

  /// The pool's parallelism: its core workers (spares come and go on top, docs/pool.md).
  [[nodiscard]] std::size_t worker_count() const noexcept { return core_count_; }
  /// The most threads (core workers + live spares) this pool had at once, and how many spare
  /// threads it started in all.
  [[nodiscard]] std::size_t peak_thread_count() const;
  [[nodiscard]] std::size_t spare_threads_started() const;

  /// Runs `work()` on the pool. From one of this pool's workers it goes to that worker's deque,
  /// from any other thread to the global queue. Throws std::invalid_argument for a null callable
  /// and tpl::invalid_operation if the pool is shutting down (from outside the pool).
  template <class Work>
    requires std::invocable<std::decay_t<Work>&>
  void submit(Work&& work) {
    using callable = std::decay_t<Work>;
    if constexpr (std::is_constructible_v<bool, const callable&>) {
      if (!static_cast<bool>(work)) throw std::invalid_argument("thread_pool::submit: the callable is null");
    }
    auto item = std::make_unique<function_item<callable>>(*this, std::forward<Work>(work));
    submit_item(item.get());
    item.release();  // the item deletes itself after running
  }

  /// `co_await pool.schedule()`: the rest of the coroutine runs on this pool (always queued, as
  /// P2300's schedule(); tpl::resume_on(pool) skips the queueing when already on the pool).
  /// Throws tpl::invalid_operation at the co_await if the pool is shutting down (from outside
  /// it); the coroutine then goes on where it was (detail/pool_scheduling_awaitable.hpp).
  [[nodiscard]] detail::pool_scheduling_awaitable schedule() noexcept { return {*this, false}; }

  /// \cond TPL_INTERNALS
  // The calling thread's worker if it is one of this pool's workers, else nullptr.
  [[nodiscard]] detail::pool_worker* current_worker() const noexcept {
    detail::pool_worker* worker = detail::current_worker();
    return worker != nullptr && &worker->pool() == this ? worker : nullptr;
  }
  /// \endcond

  [[nodiscard]] std::vector<worker_counters> counters() const;

 private:
  /// tpl's own machinery (fork-join, task scheduling, blocking waits, the timer) reaches the
  /// members below through detail::pool_access (detail/pool_access.hpp); the workers directly.
  friend struct detail::pool_access;
  friend class detail::pool_worker;
  friend struct detail::pool_diagnostics_access;

  /// Queue a raw item (same rules as submit()).
  void submit_item(detail::work_item* item);
  /// Routes an exception that escaped a submitted callable.
  void report_unhandled(std::exception_ptr error) noexcept;
  /// The observer, if any.
  const schedule_observer& observer() const noexcept { return settings_.observer; }
  detail::pool_intake<detail::work_item*>& intake() noexcept { return intake_; }
  /// Workers and spares, for stealing. Slots below slot_count() exist for good.
  [[nodiscard]] std::size_t slot_count() const {
    // acquire: pairs with the release store in start_spare(): a thief that counts a new slot
    // sees its constructed worker.
    return slot_count_.load(std::memory_order_acquire);
  }
  detail::pool_worker& worker(std::size_t slot) noexcept { return *workers_[slot]; }
  /// A worker is about to park / is running again. true: the pool is stalled: every thread
  /// that runs its work is now blocked, and no spare could start.
  [[nodiscard]] bool begin_blocking() noexcept;
  void end_blocking() noexcept;
  /// A hint that more spares run than workers are parked (a spare should retire).
  [[nodiscard]] bool spare_is_surplus() const {
    // relaxed: a hint; the spare confirms under spare_mutex_ before it retires.
    return surplus_spares_.load(std::memory_order_relaxed) > 0;
  }
  /// The process is exiting (the default pool's exit handler). From one of this
  /// pool's own threads (std::exit in a task) it only stops accepting work: it cannot wait for
  /// itself, and the process is ending.
  void shutdown_at_exit();

  template <class Callable>
  struct function_item : detail::work_item {
    function_item(thread_pool& owner, Callable&& callable)
        : work_item{&function_item::run_item}, pool(owner), fn(std::move(callable)) {}
    function_item(thread_pool& owner, const Callable& callable)
        : work_item{&function_item::run_item}, pool(owner), fn(callable) {}
    static void run_item(detail::work_item* self, bool) {
      std::unique_ptr<function_item> owned(static_cast<function_item*>(self));
      try {
        owned->fn();
      } catch (...) {
        owned->pool.report_unhandled(std::current_exception());
      }
    }
    thread_pool& pool;
    Callable fn;
  };

  /// A spare thread's seat: its worker lives in workers_[core_count_ + index] for good; the
  /// thread comes and goes. All fields under spare_mutex_.
  struct spare_slot {
    enum class phase { no_thread, running, retired };
    phase now = phase::no_thread;
    bool activated = false;                ///< a retired spare was asked to run again
    std::unique_ptr<sync::thread> thread;  ///< joined when the seat is reused, or at shutdown
    sync::condition_variable wake;         ///< a retired spare waits here
  };

  void spare_body(std::size_t spare_index);
  bool start_spare();  // under spare_mutex_
  void publish_surplus();  // under spare_mutex_
  void stop_spares();
  // The I/O poller role was left by a worker of this pool to run work: wake a sleeping worker
  // (of this pool, else of a pool with I/O waits of its own) to take it, if I/O waits are pending.
  void hand_off_io_polling();

  options settings_;
  std::size_t core_count_ = 0;
  std::size_t max_spares_ = 0;
  detail::pool_intake<detail::work_item*> intake_;
  detail::pending_io_waits io_waits_;  ///< I/O waits that resume here: shutdown ends them first
  std::vector<std::unique_ptr<detail::pool_worker>> workers_;  ///< core_count_ + max_spares_ seats
  sync::atomic<std::size_t> slot_count_{0};                    ///< seats with a worker
  std::vector<sync::thread> threads_;                          ///< the core workers' threads
  sync::mutex shutdown_mutex_;  ///< held by the shutdown() that joins; later callers wait on it
  bool joined_ = false;         ///< shutdown() has joined the workers; under shutdown_mutex_

  mutable sync::mutex spare_mutex_;
  std::vector<std::unique_ptr<spare_slot>> spares_;  ///< under spare_mutex_ (reserved: never moves)
  int blocked_ = 0;                                  ///< workers parked in a wait; under spare_mutex_
  int running_spares_ = 0;                           ///< spares not retired; under spare_mutex_
  std::size_t live_spares_ = 0;                      ///< spare threads alive; under spare_mutex_
  std::size_t peak_threads_ = 0;                     ///< under spare_mutex_
  std::size_t spares_started_ = 0;                   ///< under spare_mutex_
  bool spares_stopping_ = false;                     ///< under spare_mutex_
  sync::atomic<int> surplus_spares_{0};  ///< running_spares_ - blocked_, mirrored for spare_is_surplus()
};

/// `co_await tpl::resume_on(pool)`: go on on `pool`; no suspension when the caller already runs
/// on one of its workers. Errors as thread_pool::schedule().
[[nodiscard]] inline detail::pool_scheduling_awaitable resume_on(thread_pool& pool) noexcept { return {pool, true}; }

/// \cond TPL_INTERNALS
namespace detail {
inline void pool_access::submit_item(thread_pool& pool, work_item* item) { pool.submit_item(item); }
inline void pool_access::report_unhandled(thread_pool& pool, std::exception_ptr error) noexcept {
  pool.report_unhandled(std::move(error));
}
inline bool pool_access::begin_blocking(thread_pool& pool) noexcept { return pool.begin_blocking(); }
inline void pool_access::end_blocking(thread_pool& pool) noexcept { pool.end_blocking(); }
inline pending_io_waits& pool_access::io_waits(thread_pool& pool) noexcept { return pool.io_waits_; }
inline void pool_access::wake_one_worker(thread_pool& pool) { pool.intake_.sleeper().notify_one(); }

inline bool pool_scheduling_awaitable::await_ready() const noexcept {
  return inline_if_on_pool_ && pool_->current_worker() != nullptr;
}
inline void pool_scheduling_awaitable::await_suspend(std::coroutine_handle<> coroutine) {
  coroutine_ = coroutine.address();
  pool_access::submit_item(*pool_, this);  // throws: not queued, and the coroutine is resumed with the exception
}
}  // namespace detail
/// \endcond

}  // namespace tpl
