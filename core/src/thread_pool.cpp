// thread_pool and pool_worker: construction, shutdown, and the slow paths of scheduling.
#include "tpl/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "tpl/config.hpp"
#include "tpl/detail/idle_sleeper.hpp"
#include "tpl/detail/process_reactor.hpp"
#include "tpl/detail/timer_service.hpp"

namespace tpl {

namespace {

// More threads than any machine runs usefully, and small enough that seat counts never
// overflow (thread_pool(std::size_t(-1)) crashed before it was checked: issue 28).
constexpr std::size_t max_pool_threads = std::size_t{1} << 16;

std::size_t resolve_worker_count(std::size_t requested) {
  if (requested > max_pool_threads) {
    throw std::invalid_argument("tpl::thread_pool: worker_count " + std::to_string(requested) + " is above the limit of " +
                                std::to_string(max_pool_threads) + " (0 means one per hardware thread)");
  }
  if (requested != 0) return requested;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

#if !defined(TPL_MODEL_RELACY)
// Every live pool, for a poller that hands its role on (thread_pool::hand_off_io_polling). Never
// destroyed: pools may outlive static destruction (the default pool drains at exit).
struct live_pools {
  std::mutex mutex;
  std::vector<thread_pool*> pools;
};
live_pools& all_pools() {
  static live_pools* const registry = new live_pools;
  return *registry;
}
#endif

// May throw (no memory): the constructor registers before it starts any thread.
void register_pool([[maybe_unused]] thread_pool* pool) {
#if !defined(TPL_MODEL_RELACY)
  live_pools& registry = all_pools();
  const std::lock_guard lock(registry.mutex);
  registry.pools.push_back(pool);
#endif
}

void unregister_pool([[maybe_unused]] thread_pool* pool) noexcept {
#if !defined(TPL_MODEL_RELACY)
  live_pools& registry = all_pools();
  const std::lock_guard lock(registry.mutex);
  registry.pools.erase(std::find(registry.pools.begin(), registry.pools.end(), pool));
#endif
}

std::size_t resolve_max_spares(std::size_t requested) {
  if (requested > max_pool_threads) {
    throw std::invalid_argument("tpl::thread_pool: max_spare_threads " + std::to_string(requested) +
                                " is above the limit of " + std::to_string(max_pool_threads));
  }
  return requested != 0 ? requested : config::max_spare_threads;
}

}  // namespace

thread_pool::thread_pool(options settings)
    : settings_(std::move(settings)),
      core_count_(resolve_worker_count(settings_.worker_count)),
      max_spares_(resolve_max_spares(settings_.max_spare_threads)) {
  const std::size_t count = core_count_;
  // Every seat up front (null for spares until first used), so the vector never moves while
  // thieves index it; spares_ likewise.
  workers_.resize(count + max_spares_);
  spares_.reserve(max_spares_);
  for (std::size_t index = 0; index < count; ++index) {
    workers_[index] = std::make_unique<detail::pool_worker>(*this, index, intake_);
  }
  // relaxed: the threads that read it start below (thread start orders it).
  slot_count_.store(count, std::memory_order_relaxed);
  peak_threads_ = count;
  if (!settings_.allow_spare_threads) max_spares_ = 0;
  // Workers start only after every deque exists: a worker steals from all the others. The pool
  // is registered first, so that nothing can fail once a thread runs.
  threads_.reserve(count);
  register_pool(this);
  try {
    for (std::size_t index = 0; index < count; ++index) {
      threads_.emplace_back([worker = workers_[index].get()] {
        sync::name_this_thread("tpl-worker");
        worker->run(false);
      });
    }
  } catch (...) {
    // A thread failed to start: stop the ones that did (their destructors join), then report.
    intake_.begin_shutdown();
    for (sync::thread& thread : threads_) thread.join();
    threads_.clear();
    unregister_pool(this);
    throw;
  }
  detail::diagnostics_hooks::pool_created(*this);
}

thread_pool::~thread_pool() {
  if (current_worker() != nullptr) {
    std::fputs("tpl::thread_pool: destroyed from one of its own workers; it would wait for itself forever\n",
               stderr);
    std::terminate();
  }
  // First: a poller handing its role on no longer wakes this pool's workers (it holds the
  // registry's lock while it does, so this waits for one that is).
  unregister_pool(this);
  shutdown();
  detail::diagnostics_hooks::pool_destroyed(*this);
}

void thread_pool::hand_off_io_polling() {
  detail::io_poller* poller = detail::current_io_poller();
  if (poller == nullptr || !poller->has_pending_waits()) return;  // nothing to poll for
  // A worker of this pool first: whatever it finds, it polls for every pool.
  if (intake_.sleeper().has_sleepers_hint()) {
    intake_.sleeper().notify_one();
    return;
  }
#if !defined(TPL_MODEL_RELACY)
  // Else one of a pool that waits for I/O itself, or the default pool while timers are queued
  // (a pool without waits needs no poller, and waking its workers would only move the role away
  // from where the work is).
  // (The installed poller is the process reactor, whose start made the default pool.)
  thread_pool* timers_pool = detail::process_reactor::instance().timers().pending() != 0 ? &default_pool() : nullptr;
  live_pools& registry = all_pools();
  const std::lock_guard lock(registry.mutex);
  for (thread_pool* pool : registry.pools) {
    if (pool != this && (pool == timers_pool || pool->io_waits_.has_waits_hint()) &&
        pool->intake_.sleeper().has_sleepers_hint()) {
      pool->intake_.sleeper().notify_one();
      return;
    }
  }
#endif
}

#if !defined(TPL_MODEL_RELACY)
namespace detail {

void pool_access::wake_a_worker_to_poll() noexcept {
  // Called after the timer's wait_registered() fence: a worker announced before it is seen in
  // its pool's sleeper count (has_sleepers_hint), and one announced after it sees the pending
  // timer in its last look and takes the role itself (idle_sleeper.hpp), so a pool whose count
  // reads zero needs no wake. The default pool exists: the reactor started it first.
  thread_pool& preferred = thread_pool::default_pool();
  if (preferred.intake_.sleeper().has_sleepers_hint()) {
    preferred.intake_.sleeper().notify_one();
    return;
  }
  live_pools& registry = all_pools();
  const std::lock_guard lock(registry.mutex);
  for (thread_pool* pool : registry.pools) {
    if (pool->intake_.sleeper().has_sleepers_hint()) {
      pool->intake_.sleeper().notify_one();
      return;
    }
  }
}

}  // namespace detail
#endif

void thread_pool::shutdown() {
  if (current_worker() != nullptr) {
    throw invalid_operation("thread_pool::shutdown: called from one of the pool's own workers (it would wait for itself)");
  }
  // The first caller joins; any other caller, on any thread, waits here until it has finished
  // (a second call does nothing but wait, as the header promises).
  sync::lock_guard lock(shutdown_mutex_);
  if (joined_) return;
  // While the queue still takes work: every I/O wait that would resume here ends canceled, and
  // its resumption runs on a worker (pending_io_waits.hpp), before the queue closes.
  io_waits_.cancel_all_and_wait();
  intake_.begin_shutdown();
  for (sync::thread& thread : threads_) thread.join();
  stop_spares();
  joined_ = true;
}

void thread_pool::shutdown_at_exit() {
  if (current_worker() != nullptr) {
    // std::exit on one of this pool's threads: it cannot wait for itself, and the process is
    // ending. Stop accepting work and let every thread run on detached (as .NET's background
    // pool threads do), so that none is left joinable.
    intake_.begin_shutdown();
    for (sync::thread& thread : threads_) thread.detach();
    sync::lock_guard lock(spare_mutex_);
    for (auto& slot : spares_) {
      if (slot->thread) slot->thread->detach();
    }
    return;
  }
  shutdown();
}

// Spares that are running finish what they can see (their give-up check is the same stopping
// flag, then one last look), retired ones wake and exit; then every spare thread is joined.
void thread_pool::stop_spares() {
  std::vector<std::unique_ptr<sync::thread>> to_join;
  {
    sync::lock_guard lock(spare_mutex_);
    spares_stopping_ = true;
    for (auto& slot : spares_) slot->wake.notify_all();
  }
  intake_.sleeper().wake_all_unconditionally();
  // A spare that parks may still start another, so join until no seat holds a thread.
  for (;;) {
    {
      sync::lock_guard lock(spare_mutex_);
      for (auto& slot : spares_) {
        if (slot->thread) to_join.push_back(std::move(slot->thread));
      }
    }
    if (to_join.empty()) break;
    for (auto& thread : to_join) thread->join();
    to_join.clear();
  }
}

thread_pool& thread_pool::default_pool() {
  // Never destroyed: its workers may run during static destruction (std::exit from a task).
  // At exit it drains and joins its threads (after the timer service dropped pending timers,
  // whose exit handler runs first: docs/pool.md, "Process exit"); from one of its own threads
  // it only stops accepting work.
  static thread_pool& pool = []() -> thread_pool& {
    auto* created = new thread_pool();
    std::atexit([] {
      detail::timer_service::stop_at_exit();  // first: no task may wait on a timer that never fires
      default_pool().shutdown_at_exit();
    });
    return *created;
  }();
  return pool;
}

std::size_t thread_pool::peak_thread_count() const {
  sync::lock_guard lock(spare_mutex_);
  return peak_threads_;
}

std::size_t thread_pool::spare_threads_started() const {
  sync::lock_guard lock(spare_mutex_);
  return spares_started_;
}

void thread_pool::publish_surplus() {
  // relaxed: a hint read by spare_is_surplus(); the decision is re-made under spare_mutex_.
  surplus_spares_.store(running_spares_ - blocked_, std::memory_order_relaxed);
}

bool thread_pool::begin_blocking() noexcept {
  bool stalled = false;
  {
    sync::lock_guard lock(spare_mutex_);
    ++blocked_;
    // Also while the spares are being stopped: a spare that parks then may wait for an item
    // below its mark in its own deque, which only another thread can run; stop_spares() joins
    // until no seat holds a thread.
    if (running_spares_ < blocked_) {
      bool woke_retired = false;
      for (auto& slot : spares_) {
        if (slot->now == spare_slot::phase::retired && !slot->activated) {
          slot->activated = true;
          slot->now = spare_slot::phase::running;
          ++running_spares_;
          slot->wake.notify_one();
          woke_retired = true;
          break;
        }
      }
      if (!woke_retired && start_spare()) ++running_spares_;
    }
    publish_surplus();
    // Every thread that runs work (core workers and running spares) is parked in a wait, this
    // one included: nothing in this pool runs until one of those waits ends.
    stalled = static_cast<std::size_t>(blocked_) >= core_count_ + static_cast<std::size_t>(running_spares_);
  }
  // The parking worker's deque may hold work that only a thread already running (or asleep
  // among the idle workers) can now take: make sure one looks.
  intake_.sleeper().notify_one();
  return stalled;
}

void thread_pool::end_blocking() noexcept {
  sync::lock_guard lock(spare_mutex_);
  --blocked_;
  publish_surplus();
}

// Starts a spare on a free seat (one whose thread exited, else a new one). false: the bound
// is reached or the system refused a thread; the caller parks uncompensated.
bool thread_pool::start_spare() {
  std::size_t seat = spares_.size();
  for (std::size_t index = 0; index < spares_.size(); ++index) {
    if (spares_[index]->now == spare_slot::phase::no_thread) {
      seat = index;
      break;
    }
  }
  try {
    if (seat == spares_.size()) {
      if (seat >= max_spares_) return false;
      workers_[core_count_ + seat] = std::make_unique<detail::pool_worker>(*this, core_count_ + seat, intake_);
      spares_.push_back(std::make_unique<spare_slot>());
      // release: pairs with the acquire load in slot_count(): thieves see the new worker.
      slot_count_.store(core_count_ + spares_.size(), std::memory_order_release);
    }
    spare_slot& slot = *spares_[seat];
    if (slot.thread) {
      slot.thread->join();  // it exited (no_thread) after its last unlock
      slot.thread.reset();
    }
    slot.thread = std::make_unique<sync::thread>([this, seat] {
      sync::name_this_thread("tpl-spare");
      spare_body(seat);
    });
    slot.now = spare_slot::phase::running;
    slot.activated = false;
  } catch (...) {
    return false;  // out of memory or threads: parking without a spare is still correct, only slower
  }
  ++live_spares_;
  ++spares_started_;
  peak_threads_ = std::max(peak_threads_, core_count_ + live_spares_);
  return true;
}

void thread_pool::spare_body(std::size_t spare_index) {
  detail::pool_worker& worker = *workers_[core_count_ + spare_index];
  for (;;) {
    worker.run(true);  // returns with its deque empty: shutting down, or (probably) surplus
    spare_mutex_.lock();
    spare_slot& slot = *spares_[spare_index];
    const bool stopping = intake_.stopping() || spares_stopping_;
    if (!stopping && running_spares_ <= blocked_) {
      spare_mutex_.unlock();  // still needed (the hint was stale): back to work
      continue;
    }
    --running_spares_;
    publish_surplus();
    slot.now = spare_slot::phase::retired;
    slot.activated = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config::spare_idle_timeout_ms);
    while (!slot.activated && !spares_stopping_) {
      if (!slot.wake.wait_until(spare_mutex_, deadline) && !slot.activated) break;  // idle too long
    }
    if (!slot.activated) {
      slot.now = spare_slot::phase::no_thread;
      --live_spares_;
      spare_mutex_.unlock();
      return;
    }
    spare_mutex_.unlock();  // activated: begin_blocking counted it as running again
  }
}

void thread_pool::submit_item(detail::work_item* item) {
  if (detail::pool_worker* worker = current_worker()) {
    worker->push(item);
    return;
  }
  if (!intake_.submit(item)) {
    throw invalid_operation("thread_pool::submit: the pool is shutting down and accepts no more work");
  }
}

void thread_pool::report_unhandled(std::exception_ptr error) noexcept {
  if (settings_.on_unhandled_exception) {
    settings_.on_unhandled_exception(error);  // a handler that throws terminates (noexcept)
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& caught) {
    std::fprintf(stderr, "tpl::thread_pool: unhandled exception in submitted work: %s\n", caught.what());
  } catch (...) {
    std::fputs("tpl::thread_pool: unhandled exception (not a std::exception) in submitted work\n", stderr);
  }
  std::terminate();
}

std::vector<worker_counters> thread_pool::counters() const {
  std::vector<worker_counters> result;
  result.reserve(core_count_);
  for (std::size_t index = 0; index < core_count_; ++index) {
    const auto& worker = workers_[index];
    const auto& stats = worker->stats();
    result.push_back({stats.executed.read(), stats.stolen.read(), stats.slept.read(), stats.woken.read(),
                      stats.parked.read(), static_cast<int>(worker->deepest_help())});
  }
  return result;
}

namespace detail {

pool_worker::pool_worker(thread_pool& pool, std::size_t index, pool_intake<work_item*>& intake)
    : pool_(pool),
      index_(index),
      intake_(intake),
      owner_(deque_.owner()),
      random_state_(0x9E3779B97F4A7C15ull * (index + 1)) {}

void pool_worker::run(bool as_spare) {
  current_worker_slot::set(this);
  stack_floor_ = inline_stack_floor();
  note_activity(diagnostics::worker_activity::running, 0);  // until its first search finds nothing
  const auto give_up = [&] { return intake_.stopping() || (as_spare && pool_.spare_is_surplus()); };
  bool park_traced = false;  // the current idle park was reported to a tracer
  std::uint32_t items_since_io_poll = 0;
  for (;;) {
    work_source source = work_source::local;
    work_item* item = nullptr;
    if (as_spare && pool_.spare_is_surplus()) {
      auto own = owner_.pop();
      if (!own) break;  // a surplus spare retires as soon as its own deque is empty
      item = *own;
    } else {
      item = find_work(source);  // its own deque first
    }
    if (item == nullptr) {
      note_activity(diagnostics::worker_activity::searching, 0);
      item = find_work_or_park(
          intake_.sleeper(), [&] { return find_work(source); }, give_up,
          [&] {
            counters_.slept.increment();
            note_activity(diagnostics::worker_activity::asleep, 0);
            park_traced = diagnostics_hooks::parked(pool_, index_, diagnostics::park_reason::idle);
          },
          [&] {
            counters_.woken.increment();
            note_activity(diagnostics::worker_activity::searching, 0);
            diagnostics_hooks::unparked(park_traced, pool_, index_);
          },
          [] { return current_io_poller(); }, [&] { pool_.hand_off_io_polling(); });
      note_activity(diagnostics::worker_activity::running, 0);  // found work (or is leaving)
    }
    if (item == nullptr) break;  // giving up, and nothing is left that this worker can see
    execute(item, source);
    if (++items_since_io_poll == config::io_poll_interval) {
      items_since_io_poll = 0;
      poll_io_without_waiting();
    }
  }
  current_worker_slot::set(nullptr);
}

void pool_worker::poll_io_without_waiting() {
  io_poller* poller = current_io_poller();
  if (poller == nullptr || !poller->has_pending_waits() || !poller->try_begin_polling()) return;
  poller->poll(0);  // what it takes resumes on its pools (this worker's own deque for this one)
  poller->end_polling();
}

void pool_worker::submit_owed_io() noexcept {
  io_submissions_owed = false;
  // Another thread holds the poller role and may already wait in the kernel: submit now. With
  // the role free, the next poller's turn submits first (io_poller.hpp).
  if (io_poller* poller = current_io_poller(); poller != nullptr && poller->is_polling()) poller->submit_queued();
}

void pool_worker::wait_for(join_signal& signal, std::int64_t mark, const work_item* candidate, task_core* awaited) {
  run_own_subtree(mark, candidate, [&signal] { return signal.is_set(); });
  // A stolen child often ends soon: look a few times before parking.
  for (int round = 0; round < config::idle_spin_rounds && !signal.is_set(); ++round) {
    if (round < config::idle_spin_rounds / 2) {
      sync::spin_pause();
    } else {
      sync::yield_thread();
    }
  }
  if (signal.is_set()) return;
  // What this worker queued for the kernel may be what the wait needs: submit it before parking,
  // whoever polls (the end-of-item check does not run for items run nested here).
  if (io_submissions_owed) {
    io_submissions_owed = false;
    if (io_poller* poller = current_io_poller()) poller->submit_queued();
  }
  counters_.parked.increment();
  note_activity(diagnostics::worker_activity::blocked, help_depth_);
  if (pool_.begin_blocking()) diagnostics_hooks::stalled_wait(*this, awaited);
  const bool park_traced = diagnostics_hooks::parked(pool_, index_, diagnostics::park_reason::blocking_wait);
  signal.park(parker_);
  diagnostics_hooks::unparked(park_traced, pool_, index_);
  pool_.end_blocking();
  note_activity(diagnostics::worker_activity::running, help_depth_);
}

work_item* pool_worker::find_work(work_source& source) {
  if (auto item = owner_.pop()) {
    source = work_source::local;
    return *item;
  }
  if (auto item = intake_.queue().try_pop()) {
    source = work_source::global;
    return *item;
  }
  if (work_item* item = steal_from_others()) {
    source = work_source::stolen;
    return item;
  }
  return nullptr;
}

work_item* pool_worker::steal_from_others() {
  const std::size_t count = pool_.slot_count();
  if (count == 1) return nullptr;
  // xorshift64: a random first victim, then round-robin, so every deque gets visited.
  random_state_ ^= random_state_ << 13;
  random_state_ ^= random_state_ >> 7;
  random_state_ ^= random_state_ << 17;
  const std::size_t start = static_cast<std::size_t>(random_state_ % count);
  for (int pass = 0; pass < 2; ++pass) {
    bool contended = false;
    for (std::size_t offset = 0; offset < count; ++offset) {
      const std::size_t victim = (start + offset) % count;
      if (victim == index_) continue;
      steal_result<work_item*> result = pool_.worker(victim).stealer().steal();
      if (result) return result.item();
      contended = contended || result.status() == steal_status::lost_race;
    }
    if (!contended) break;  // everyone looked empty: no second pass
  }
  return nullptr;
}

void pool_worker::execute(work_item* item, work_source source) {
  counters_.executed.increment();
  if (source == work_source::stolen) counters_.stolen.increment();
  if (const auto& observer = pool_.observer()) {
    // The item must run whatever the observer does: a joiner may be waiting for it, and it
    // may live on that joiner's stack.
    try {
      observer(index_, source);
    } catch (...) {
      pool_.report_unhandled(std::current_exception());
    }
  }
  // Activity is noted where it changes, not per item: "running" when run() found work after
  // finding none, "searching" when it finds none, nested runs by run_own_subtree().
  const bool tracing = diagnostics_hooks::tracing();
  diagnostics_hooks::item_started(tracing, pool_, index_, source);
  item->run(item, true);
  if (io_submissions_owed) submit_owed_io();
  diagnostics_hooks::item_finished(tracing, pool_, index_);
}

}  // namespace detail
}  // namespace tpl
