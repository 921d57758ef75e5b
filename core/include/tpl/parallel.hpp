/// \file
/// .NET's Parallel.Invoke / Parallel.For / Parallel.ForEach on tpl's work-stealing pool.
///
/// Fork-join: each fork is a work item on the forking frame's stack (no allocation), pushed on
/// the worker's deque; the frame runs its first piece itself and then joins the rest, running a
/// child that nobody stole inline. Called from a thread that is not a pool worker, the whole
/// computation is submitted to the pool and the caller blocks until it ends.
///
/// Exceptions: every piece that starts runs to its end; all exceptions are collected, in the
/// order of the pieces for parallel_invoke, and rethrown together as one
/// tpl::aggregate_exception after every started piece has ended. In parallel_for, once an
/// iteration has thrown no new iteration starts (as in .NET, iterations already running finish).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <mutex>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tpl/exceptions.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/thread_pool.hpp"

namespace tpl {

struct parallel_options {
  thread_pool* pool = nullptr;  ///< nullptr: the calling worker's pool, else the default pool
  std::int64_t grain = 0;       ///< parallel_for: most iterations per leaf; 0 chooses (see below)
};

/// \cond TPL_INTERNALS
namespace detail {

inline thread_pool& choose_pool(const parallel_options& options) {
  if (options.pool != nullptr) return *options.pool;
  if (current_worker() != nullptr) return current_worker()->pool();
  return thread_pool::default_pool();
}

// A forked callable: runs `fn` and records its exception for the joiner.
template <class Fn>
struct fork_of : fork_item {
  explicit fork_of(Fn& callable) : fork_item{}, fn(&callable) { run = &fork_of::run_fork; }
  static void run_fork(work_item* self, bool via_scheduler) {
    auto* me = static_cast<fork_of*>(self);
    try {
      (*me->fn)();
    } catch (...) {
      me->error = std::current_exception();
    }
    if (via_scheduler) me->signal_joiner();
  }
  Fn* fn;
};

// Forks one child and guarantees it is joined: by join() on the normal path, and by the
// destructor when an exception unwinds the forking frame. A child left in the deque, or still
// running on a thief, would otherwise outlive the stack frame it lives in.
class joined_fork {
 public:
  joined_fork(pool_worker& worker, fork_item& child) : worker_(worker), child_(&child) {
    worker.fork(child);  // if this throws, nothing was pushed and the destructor does not run
  }
  joined_fork(const joined_fork&) = delete;
  joined_fork& operator=(const joined_fork&) = delete;
  ~joined_fork() { join(); }

  void join() {
    if (child_ != nullptr) worker_.join(*std::exchange(child_, nullptr));
  }

 private:
  pool_worker& worker_;
  fork_item* child_;
};

// Runs `body(worker)` on a worker of `pool`: directly when the caller is one, otherwise as a
// root item from outside, blocking the caller (not a worker) until it has run.
template <class Body>
void run_on_worker(thread_pool& pool, Body& body) {
  if (pool_worker* worker = pool.current_worker()) {
    body(*worker);
    return;
  }
  struct root_item : work_item {
    Body* body = nullptr;
    std::exception_ptr error;
    sync::mutex mutex;
    sync::condition_variable finished_changed;
    bool finished = false;  // under mutex
    static void run_root(work_item* self, bool) {
      auto* me = static_cast<root_item*>(self);
      try {
        (*me->body)(*current_worker());
      } catch (...) {
        me->error = std::current_exception();
      }
      // Notify under the lock: the waiter cannot return (and destroy this item, which lives
      // on its stack) before the unlock, and nothing here touches the item after it.
      sync::lock_guard lock(me->mutex);
      me->finished = true;
      me->finished_changed.notify_one();
    }
  } root;
  root.run = &root_item::run_root;
  root.body = &body;
  pool_access::submit_item(pool, &root);
  root.mutex.lock();
  root.finished_changed.wait(root.mutex, [&] { return root.finished; });
  root.mutex.unlock();
  if (root.error) std::rethrow_exception(root.error);
}

template <class First, class... Rest, std::size_t... Index>
void invoke_on_worker(pool_worker& worker, std::index_sequence<Index...>, First& first, Rest&... rest) {
  std::tuple<fork_of<Rest>...> children(rest...);
  constexpr std::size_t count = sizeof...(Rest);
  // Fork the last piece first, so the deque's newest item is the second piece: the joins
  // (newest first) then pop them back in order while nobody steals. The pushes are written
  // out as a fold rather than through a scope object holding pointers to the children:
  // measured, such a runtime-indexed scope doubled skynet's cost per task (10-way forks). Only a push can throw here (the deque grows), so the
  // cold path below joins whatever was pushed before rethrowing.
  std::size_t pushed = 0;
  try {
    ((worker.fork(std::get<count - 1 - Index>(children)), ++pushed), ...);
  } catch (...) {
    const std::array<fork_item*, count> in_push_order{&std::get<count - 1 - Index>(children)...};
    while (pushed != 0) worker.join(*in_push_order[--pushed]);
    throw;
  }
  std::exception_ptr first_error;
  try {
    first();
  } catch (...) {
    first_error = std::current_exception();
  }
  ((worker.join(std::get<Index>(children))), ...);
  if (first_error == nullptr && ((std::get<Index>(children).error == nullptr) && ...)) return;
  std::vector<std::exception_ptr> errors;
  if (first_error) errors.push_back(first_error);
  ((std::get<Index>(children).error ? errors.push_back(std::get<Index>(children).error) : void()), ...);
  throw aggregate_exception(std::move(errors));
}

// Shared by all leaves of one parallel_for.
template <class Body>
struct loop_state {
  loop_state(Body& loop_body, std::uint64_t workers) : body(loop_body), worker_count(workers) {}
  Body& body;
  std::uint64_t worker_count;
  sync::atomic<bool> failed{false};
  std::mutex errors_mutex;
  std::vector<std::exception_ptr> errors;  // under errors_mutex

  void record(std::exception_ptr error) {
    {
      std::lock_guard lock(errors_mutex);
      errors.push_back(std::move(error));
    }
    // relaxed: a hint to stop starting iterations; the exceptions themselves are read after
    // the joins, which order them.
    failed.store(true, std::memory_order_relaxed);
  }
  [[nodiscard]] bool stop_requested() const {
    // relaxed: a hint (see record()).
    return failed.load(std::memory_order_relaxed);
  }
};

// Offsets from the loop's first index, in uint64_t: every integral range, up to [0, 2^64 - 1)
// and (INT64_MIN, INT64_MAX), has a count that fits, where a signed difference would overflow.
template <class Body>
void run_range(pool_worker& worker, loop_state<Body>& state, std::uint64_t first, std::uint64_t last,
               std::uint64_t grain) {
  while (last - first > grain) {
    const std::uint64_t middle = first + (last - first) / 2;
    auto right_half = [&state, &worker, middle, last, grain] {
      pool_worker& runner = *current_worker();
      // A stolen half means some worker ran dry: split it finer than planned so the work
      // keeps spreading (TBB's auto partitioner does the same on steals).
      const std::uint64_t finer = std::max<std::uint64_t>(1, (last - middle) / (2 * state.worker_count));
      run_range(runner, state, middle, last, &runner == &worker ? grain : std::min(grain, finer));
    };
    fork_of<decltype(right_half)> child(right_half);
    {
      joined_fork fork(worker, child);
      run_range(worker, state, first, middle, grain);  // bodies' exceptions are recorded inside
      fork.join();
    }
    if (child.error) state.record(child.error);
    return;
  }
  for (std::uint64_t offset = first; offset < last && !state.stop_requested(); ++offset) {
    try {
      state.body(offset);
    } catch (...) {
      state.record(std::current_exception());
    }
  }
}

// last - first (first < last) as a count, for any integral type, without overflow or
// wrap-around: up to 2^64 - 1 for [0, UINT64_MAX) and (INT64_MIN, INT64_MAX).
template <std::integral Index>
std::uint64_t index_distance(Index first, Index last) noexcept {
  if constexpr (std::is_signed_v<Index>) {
    if (first < 0 && last >= 0) {
      // |first| computed as -(first + 1) + 1, which cannot overflow for first == min().
      return static_cast<std::uint64_t>(last) + (static_cast<std::uint64_t>(-(first + 1)) + 1);
    }
    return static_cast<std::uint64_t>(last - first);  // same sign: the difference fits
  } else {
    return static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
  }
}

// first + offset, for an offset below index_distance(first, last): the index it names.
template <std::integral Index>
Index index_at(Index first, std::uint64_t offset) noexcept {
  if constexpr (std::is_signed_v<Index>) {
    if (first < 0) {
      const std::uint64_t to_zero = static_cast<std::uint64_t>(-(first + 1)) + 1;  // |first|
      // Below zero: offset < |first| fits in Index, and so does the sum. From zero on: the
      // index is offset - |first|, below last.
      if (offset < to_zero) return static_cast<Index>(first + static_cast<Index>(offset));
      return static_cast<Index>(offset - to_zero);
    }
  }
  return static_cast<Index>(static_cast<std::uint64_t>(first) + offset);  // at most last: no wrap
}

}  // namespace detail
/// \endcond

/// Runs every callable, potentially in parallel, and returns when all have run. Exceptions:
/// see the header comment.
template <class... Work>
  requires(sizeof...(Work) >= 1 && (std::is_invocable_v<Work&> && ...))
void parallel_invoke(const parallel_options& options, Work&&... work) {
  auto body = [&](detail::pool_worker& worker) {
    if constexpr (sizeof...(Work) == 1) {
      try {
        (work(), ...);
      } catch (...) {
        throw aggregate_exception({std::current_exception()});
      }
    } else {
      detail::invoke_on_worker(worker, std::make_index_sequence<sizeof...(Work) - 1>{}, work...);
    }
  };
  detail::run_on_worker(detail::choose_pool(options), body);
}

template <class... Work>
  requires(sizeof...(Work) >= 1 && (std::is_invocable_v<Work&> && ...))
void parallel_invoke(Work&&... work) {
  parallel_invoke(parallel_options{}, std::forward<Work>(work)...);
}

/// Calls body(i) for every i in [first, last), potentially in parallel. The range is split in
/// halves down to a grain: options.grain if set, else about 8 leaves per worker, and a half that
/// gets stolen is split finer (see run_range). Exceptions: see the header comment.
template <std::integral Index, class Body>
  requires(!std::same_as<Index, bool> && std::is_invocable_v<Body&, Index>)
void parallel_for(Index first, Index last, Body&& body, const parallel_options& options = {}) {
  if (!(first < last)) return;
  thread_pool& pool = detail::choose_pool(options);
  const std::uint64_t count = detail::index_distance(first, last);
  auto call = [&body, first](std::uint64_t offset) { body(detail::index_at(first, offset)); };
  detail::loop_state<decltype(call)> state(call, static_cast<std::uint64_t>(pool.worker_count()));
  const std::uint64_t grain = options.grain > 0 ? static_cast<std::uint64_t>(options.grain)
                                                : std::max<std::uint64_t>(1, count / (8 * state.worker_count));
  auto root = [&](detail::pool_worker& worker) { detail::run_range(worker, state, 0, count, grain); };
  detail::run_on_worker(pool, root);
  if (!state.errors.empty()) throw aggregate_exception(std::move(state.errors));
}

/// \cond TPL_INTERNALS
namespace detail {

// parallel_for_each over a single-pass (input, not forward) range: copies of an input iterator
// share one position, so nothing may keep iterators and come back to them. As .NET's default
// partitioner does for an IEnumerable, every participant pulls a chunk of elements under one
// lock, moving each element out before the iterator advances, and runs the body on its chunk
// outside the lock; chunks start at one element and double up to 64, so a short sequence still
// spreads and a long one pays the lock rarely. After a body throws, nobody pulls again
// (elements being processed finish), and the exceptions are collected by parallel_for.
template <class Range, class Body>
void for_each_single_pass(Range& range, Body& body, const parallel_options& options) {
  using value_type = std::ranges::range_value_t<Range>;
  struct shared_source {
    std::mutex mutex;
    std::ranges::iterator_t<Range> next;
    std::ranges::sentinel_t<Range> end;
    std::size_t chunk = 1;  // under mutex
    bool stop = false;      // under mutex: a body threw, or the range ended
  };
  shared_source source{{}, std::ranges::begin(range), std::ranges::end(range)};
  constexpr std::size_t largest_chunk = 64;
  const std::size_t participants = choose_pool(options).worker_count();
  auto pull_and_run = [&](std::size_t) {
    std::vector<value_type> chunk;
    for (;;) {
      chunk.clear();
      {
        std::lock_guard lock(source.mutex);
        if (source.stop) return;
        for (std::size_t taken = 0; taken < source.chunk && source.next != source.end; ++taken, ++source.next) {
          chunk.push_back(std::ranges::iter_move(source.next));
        }
        if (source.next == source.end) source.stop = true;
        source.chunk = std::min(source.chunk * 2, largest_chunk);
      }
      for (value_type& element : chunk) {
        try {
          body(element);
        } catch (...) {
          std::lock_guard lock(source.mutex);
          source.stop = true;
          throw;
        }
      }
    }
  };
  parallel_options one_each = options;
  one_each.grain = 1;  // one participant a leaf
  parallel_for(std::size_t{0}, participants, pull_and_run, one_each);
}

}  // namespace detail
/// \endcond

/// Calls body(element) for every element of `range`, potentially in parallel. A random-access
/// sized range is split by index; another multi-pass (forward) range by the positions of its
/// elements, listed first; a single-pass (input) range, such as a
/// std::filesystem::recursive_directory_iterator or a std::views::istream, is read by the
/// participants in chunks under a lock, each element moved out of the range once, and the body
/// is called with that copy (detail::for_each_single_pass). Exceptions: see the header comment.
template <std::ranges::input_range Range, class Body>
  requires std::is_invocable_v<Body&, std::ranges::range_reference_t<Range>> ||
           (!std::ranges::forward_range<Range> && std::is_invocable_v<Body&, std::ranges::range_value_t<Range>&>)
void parallel_for_each(Range&& range, Body&& body, const parallel_options& options = {}) {
  if constexpr (std::ranges::random_access_range<Range> && std::ranges::sized_range<Range>) {
    auto begin = std::ranges::begin(range);
    const auto count = static_cast<std::int64_t>(std::ranges::size(range));
    parallel_for(std::int64_t{0}, count, [&](std::int64_t index) { body(begin[index]); }, options);
  } else if constexpr (std::ranges::forward_range<Range>) {
    // Multi-pass: remember where each element is, then split that.
    std::vector<std::ranges::iterator_t<Range>> positions;
    for (auto it = std::ranges::begin(range); it != std::ranges::end(range); ++it) positions.push_back(it);
    parallel_for(std::size_t{0}, positions.size(), [&](std::size_t index) { body(*positions[index]); }, options);
  } else {
    detail::for_each_single_pass(range, body, options);
  }
}

}  // namespace tpl
