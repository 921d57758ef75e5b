// tpl::thread_pool — a work-stealing pool: one Chase-Lev deque per worker plus a global queue.
//
// Scheduling. Work submitted from a thread that is not one of the pool's workers goes to the
// global queue (FIFO). Work a worker submits or forks goes to its own deque. A worker takes
// its own newest item first (LIFO), then the oldest item of the global queue, then steals the
// oldest item (FIFO) of another worker, visiting the others round-robin from a random start
// so that no deque is starved of thieves.
//
// Idle workers look for work a few dozen times (pausing, then yielding the core), then sleep
// on a two-phase event count that cannot lose a wake-up (detail/idle_sleeper.hpp, modelled in
// models/model_pool_sleep.cpp); a sleeping pool uses no CPU.
//
// Shutdown. shutdown() (and the destructor) stops accepting external submissions, lets the
// workers finish everything already queued (including work that queued work forks), then
// joins them.
// submit() from outside the pool after shutdown began throws tpl::invalid_operation; work is
// never dropped silently. Destroying a pool from one of its own workers is a contract
// violation reported before std::terminate (it would wait for itself).
//
// Exceptions. An exception escaping a submitted callable goes to the pool's unhandled-exception
// handler; the default reports it on stderr and calls std::terminate, as .NET does for an
// unhandled exception on a thread-pool thread. Fork-join helpers (parallel.hpp) collect their
// bodies' exceptions themselves and rethrow them to the caller.
#pragma once

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
#include "tpl/detail/pool_intake.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/work_item.hpp"
#include "tpl/errors.hpp"

namespace tpl {

// Per-worker statistics, read while the pool runs (values may be slightly behind).
struct worker_counters {
  std::uint64_t executed = 0;  // items this worker ran (any source)
  std::uint64_t stolen = 0;    // of those, taken from another worker's deque
  std::uint64_t slept = 0;     // times it went to sleep for lack of work
  std::uint64_t woken = 0;     // times it woke up again
  int deepest_help = 0;        // deepest nesting of "run other work while joining" it reached
};

class thread_pool {
 public:
  using exception_handler = std::function<void(std::exception_ptr)>;
  // Test hook: called on the worker's thread just before it runs an item.
  using schedule_observer = std::function<void(std::size_t worker_index, work_source source)>;

  struct options {
    std::size_t worker_count = 0;  // 0: std::thread::hardware_concurrency(), at least 1
    exception_handler on_unhandled_exception;  // empty: report on stderr and std::terminate
    schedule_observer observer;                // empty: none; an exception it throws goes to the handler
    // How deep a joining worker may nest other work before it runs only its own deque's items
    // (docs/pool.md). Negative: config::max_help_depth.
    int max_help_depth = -1;
  };

  thread_pool() : thread_pool(options{}) {}
  explicit thread_pool(std::size_t worker_count) : thread_pool(options{worker_count, {}, {}, -1}) {}
  explicit thread_pool(options settings);
  ~thread_pool();

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  // Stops accepting work from outside, runs everything queued, joins the workers. The
  // destructor does this; calling it earlier is allowed, and a second call does nothing.
  // Throws tpl::invalid_operation when called from one of the pool's own workers.
  void shutdown();

  // The process-wide pool, created on first use with one worker per hardware thread.
  static thread_pool& default_pool();

  [[nodiscard]] std::size_t worker_count() const noexcept { return workers_.size(); }

  // Runs `work()` on the pool. From one of this pool's workers it goes to that worker's deque,
  // from any other thread to the global queue. Throws std::invalid_argument for a null callable
  // and tpl::invalid_operation if the pool is shutting down (from outside the pool).
  template <class Work>
  void submit(Work&& work) {
    using callable = std::decay_t<Work>;
    static_assert(std::is_invocable_v<callable&>, "thread_pool::submit: work must be callable with no arguments");
    if constexpr (std::is_constructible_v<bool, const callable&>) {
      if (!static_cast<bool>(work)) throw std::invalid_argument("thread_pool::submit: the callable is null");
    }
    auto item = std::make_unique<function_item<callable>>(*this, std::forward<Work>(work));
    submit_item(item.get());
    item.release();  // the item deletes itself after running
  }

  // The calling thread's worker if it is one of this pool's workers, else nullptr.
  [[nodiscard]] detail::pool_worker* current_worker() const noexcept {
    detail::pool_worker* worker = detail::current_worker;
    return worker != nullptr && &worker->pool() == this ? worker : nullptr;
  }

  [[nodiscard]] std::vector<worker_counters> counters() const;

  // Internal, for tpl's own fork-join code: queue a raw item (same rules as submit()).
  void submit_item(detail::work_item* item);
  // Internal: route an exception that escaped a submitted callable.
  void report_unhandled(std::exception_ptr error) noexcept;
  // Internal: the help-nesting bound in force.
  int max_help_depth() const noexcept {
    return settings_.max_help_depth < 0 ? config::max_help_depth : settings_.max_help_depth;
  }
  // Internal: the observer, if any.
  const schedule_observer& observer() const noexcept { return settings_.observer; }
  detail::pool_intake<detail::work_item*>& intake() noexcept { return intake_; }
  detail::pool_worker& worker(std::size_t index) noexcept { return *workers_[index]; }

 private:
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

  options settings_;
  detail::pool_intake<detail::work_item*> intake_;
  std::vector<std::unique_ptr<detail::pool_worker>> workers_;
  std::vector<sync::thread> threads_;
  bool joined_ = false;  // shutdown() has joined the workers; touched by the owning thread only
};

}  // namespace tpl
