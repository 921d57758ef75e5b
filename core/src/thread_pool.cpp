// thread_pool and pool_worker: construction, shutdown, and the slow paths of scheduling.
#include "tpl/thread_pool.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "tpl/config.hpp"
#include "tpl/detail/idle_sleeper.hpp"

namespace tpl {

namespace {

std::size_t resolve_worker_count(std::size_t requested) {
  if (requested != 0) return requested;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

thread_pool::thread_pool(options settings) : settings_(std::move(settings)) {
  const std::size_t count = resolve_worker_count(settings_.worker_count);
  workers_.reserve(count);
  for (std::size_t index = 0; index < count; ++index) {
    workers_.push_back(std::make_unique<detail::pool_worker>(*this, index, intake_));
  }
  // Workers start only after every deque exists: a worker steals from all the others.
  threads_.reserve(count);
  try {
    for (std::size_t index = 0; index < count; ++index) {
      threads_.emplace_back([worker = workers_[index].get()] { worker->run_until_shutdown(); });
    }
  } catch (...) {
    // A thread failed to start: stop the ones that did (their destructors join), then report.
    intake_.begin_shutdown();
    for (sync::thread& thread : threads_) thread.join();
    threads_.clear();
    throw;
  }
}

thread_pool::~thread_pool() {
  if (current_worker() != nullptr) {
    std::fputs("tpl::thread_pool: destroyed from one of its own workers; it would wait for itself forever\n",
               stderr);
    std::terminate();
  }
  shutdown();
}

void thread_pool::shutdown() {
  if (current_worker() != nullptr) {
    throw invalid_operation("thread_pool::shutdown: called from one of the pool's own workers (it would wait for itself)");
  }
  if (joined_) return;
  intake_.begin_shutdown();
  for (sync::thread& thread : threads_) thread.join();
  joined_ = true;
}

thread_pool& thread_pool::default_pool() {
  static thread_pool pool;
  return pool;
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
  result.reserve(workers_.size());
  for (const auto& worker : workers_) {
    const auto& stats = worker->stats();
    result.push_back({stats.executed.read(), stats.stolen.read(), stats.slept.read(), stats.woken.read(),
                      static_cast<int>(worker->deepest_help())});
  }
  return result;
}

namespace detail {

pool_worker::pool_worker(thread_pool& pool, std::size_t index, pool_intake<work_item*>& intake)
    : pool_(pool),
      index_(index),
      intake_(intake),
      owner_(deque_.owner()),
      random_state_(0x9E3779B97F4A7C15ull * (index + 1)),
      max_help_depth_(pool.max_help_depth()) {}

void pool_worker::run_until_shutdown() {
  current_worker = this;
  for (;;) {
    work_source source = work_source::local;
    work_item* item = find_work(source);
    if (item == nullptr) {
      item = find_work_or_park(
          intake_.sleeper(), [&] { return find_work(source); }, [&] { return intake_.stopping(); },
          [&] { counters_.slept.increment(); }, [&] { counters_.woken.increment(); });
    }
    if (item == nullptr) break;  // shutting down, and nothing is left that this worker can see
    execute(item, source);
  }
  current_worker = nullptr;
}

void pool_worker::join_slow(fork_item& child) { help_until(child.done); }

void pool_worker::help_until(const sync::atomic<bool>& done) {
  // acquire: pairs with the release store that sets `done` (fork_item::signal_joiner, a task's
  // blocking-wait continuation): the waited-for work's effects are visible on return.
  const auto is_done = [&done] { return done.load(std::memory_order_acquire); };
  while (!is_done()) {
    // Helping nests a whole other computation on this stack, so it is bounded. Below the bound
    // the worker runs anything (own deque, global queue, steals). At the bound it still runs
    // items of its own deque, and only those: the child may be among them (below an item this
    // frame submitted after forking it), and own items are finite, pushed by the frames already
    // on this stack, so they cannot nest without bound. Global work and steals, which an
    // outside producer could feed for ever, wait until this frame unwinds.
    const bool may_help = help_depth_ < max_help_depth_;
    work_source source = work_source::local;
    work_item* item = find_work_or_park(
        intake_.sleeper(), [&]() -> work_item* { return may_help ? find_work(source) : pop_own(source); },
        is_done, [&] { counters_.slept.increment(); },
        [&] { counters_.woken.increment(); });
    if (item == nullptr) continue;  // done; the loop condition sees it
    ++help_depth_;
    deepest_help_.raise_to(static_cast<std::uint64_t>(help_depth_));
    execute(item, source);
    --help_depth_;
  }
}

work_item* pool_worker::pop_own(work_source& source) {
  if (auto item = owner_.pop()) {
    source = work_source::local;
    return *item;
  }
  return nullptr;
}

work_item* pool_worker::find_work(work_source& source) {
  if (work_item* item = pop_own(source)) return item;
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
  const std::size_t count = pool_.worker_count();
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
  item->run(item, true);
}

}  // namespace detail
}  // namespace tpl
